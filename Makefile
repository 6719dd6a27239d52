# ecs_image_fdw/Makefile

MODULE_big = ecs_image_fdw
OBJS = \
	$(WIN32RES) \
	src/api.o \
	src/cache.o \
	src/catalog.o \
	src/credentials.o \
	src/decode.o \
	src/ecs_image_fdw.o \
	src/fanout.o \
	src/functions.o \
	src/http.o \
	src/imageops.o \
	src/modify.o \
	src/option.o \
	src/page.o \
	src/plan.o \
	src/pushdown.o \
	src/route.o \
	src/scan.o \
	src/sign.o \
	src/wait.o
PGFILEDESC = "ecs_image_fdw - foreign data wrapper for Alibaba Cloud ECS images"

EXTENSION = ecs_image_fdw
DATA = $(wildcard sql/ecs_image_fdw--*.sql)

REGRESS = setup options import scan pushdown tables cache errors lifecycle writable \
	faults lost cancel security hostile badinput memory writepaths regionids realapi credentials async routing \
	collation writerows columntypes argchecks emptyvalues importoptions optionchecks requestcost \
	instances snapshots tags family \
	waitmemory waitevents messages rescanmemory connreuse

PG_CPPFLAGS = -Isrc $(shell pkg-config --cflags libcurl json-c libcrypto)
SHLIB_LINK = $(shell pkg-config --libs libcurl json-c libcrypto)
PG_CFLAGS = -Wall

EXTRA_CLEAN = test/unit/build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# COPT is PostgreSQL's knob for extra compiler flags; CI builds with
# COPT=-Werror.  PGXS gives it to gcc only: give it to clang too, which
# compiles the JIT bitcode (after the include, which sets BITCODE_CFLAGS).
BITCODE_CFLAGS += $(COPT)
