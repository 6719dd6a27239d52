/*-------------------------------------------------------------------------
 *
 * cache.c
 *		  The per-backend cache of listing pages (server option cache_ttl_s).
 *
 * An entry is one successful answer to one Describe request, keyed by the
 * server, the access key, the action and every parameter.  A scan asks the
 * cache before each request, so repeating an identical scan within the TTL
 * sends nothing.  Entries expire after cache_ttl_s; lifecycle functions
 * drop their region's entries; changing a server or user mapping drops
 * everything; ecs_image_fdw_cache_clear() drops a server's or all.  The
 * cache holds at most ECS_CACHE_MAX_BYTES; past that it starts over.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "foreign/foreign.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "ecs_image_fdw.h"

/* Most bytes of answers the cache holds */
#define ECS_CACHE_MAX_BYTES (64 * 1024 * 1024)

typedef struct CacheEntry
{
	uint64		hash;			/* hash key; must be first */
	char	   *key;			/* the full key, to rule out collisions */
	Oid			serverid;
	char	   *region;
	TimestampTz stored_at;
	char	   *body;
	size_t		len;
} CacheEntry;

static HTAB *cache = NULL;
static MemoryContext cache_cxt = NULL;
static size_t cache_bytes = 0;

PG_FUNCTION_INFO_V1(ecs_image_fdw_cache_clear);

static char *cache_key(const EcsConfig *config, const char *action,
					   const EcsParams *params, uint64 *hash);
static void remove_entry(CacheEntry *entry);
static void reset_cache(void);
static void invalidate_callback(Datum arg, int cacheid, uint32 hashvalue);

/*
 * cache_key
 *		The key of a request, and its hash.
 */
static char *
cache_key(const EcsConfig *config, const char *action,
		  const EcsParams *params, uint64 *hash)
{
	char	   *key = psprintf("%u\n%s\n%s\n%s", config->serverid,
							   ecs_credentials_identity(config), action,
							   ecs_canonical_query(params->items,
												   params->count));

	*hash = hash_bytes_extended((const unsigned char *) key, strlen(key), 0);
	return key;
}

/*
 * reset_cache
 *		Drop every entry.
 */
static void
reset_cache(void)
{
	if (cache_cxt != NULL)
		MemoryContextDelete(cache_cxt);
	cache_cxt = NULL;
	cache = NULL;
	cache_bytes = 0;
}

/*
 * invalidate_callback
 *		A server or user mapping changed: what we cached may no longer be
 *		what they would see.
 */
static void
invalidate_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	reset_cache();
}

/*
 * remove_entry
 *		Drop one entry.
 */
static void
remove_entry(CacheEntry *entry)
{
	cache_bytes -= entry->len;
	pfree(entry->key);
	pfree(entry->region);
	pfree(entry->body);
	hash_search(cache, &entry->hash, HASH_REMOVE, NULL);
}

/*
 * ecs_cache_lookup
 *		If a fresh answer to this request is cached, copy it into
 *		CurrentMemoryContext and return true.
 */
bool
ecs_cache_lookup(const EcsConfig *config, const char *action,
				 const EcsParams *params, char **body, size_t *len)
{
	CacheEntry *entry;
	uint64		hash;
	char	   *key;

	if (config->cache_ttl_s <= 0 || cache == NULL)
		return false;
	key = cache_key(config, action, params, &hash);
	entry = hash_search(cache, &hash, HASH_FIND, NULL);
	if (entry == NULL || strcmp(entry->key, key) != 0)
		return false;
	if (TimestampDifferenceExceeds(entry->stored_at, GetCurrentTimestamp(),
								   config->cache_ttl_s * 1000))
	{
		remove_entry(entry);
		return false;
	}
	*body = palloc(entry->len + 1);
	memcpy(*body, entry->body, entry->len + 1);
	*len = entry->len;
	return true;
}

/*
 * ecs_cache_store
 *		Remember a good answer, if the server caches.
 */
void
ecs_cache_store(const EcsConfig *config, const char *action,
				const EcsParams *params, const char *body, size_t len)
{
	CacheEntry *entry;
	uint64		hash;
	char	   *key;
	const char *region = "";
	bool		found;
	int			i;
	MemoryContext old;

	if (config->cache_ttl_s <= 0 || len > ECS_CACHE_MAX_BYTES)
		return;
	if (cache_bytes + len > ECS_CACHE_MAX_BYTES)
		reset_cache();
	if (cache == NULL)
	{
		HASHCTL		ctl;
		static bool callbacks_registered = false;

		cache_cxt = AllocSetContextCreate(TopMemoryContext,
										  "ecs_image_fdw cache",
										  ALLOCSET_DEFAULT_SIZES);
		ctl.keysize = sizeof(uint64);
		ctl.entrysize = sizeof(CacheEntry);
		ctl.hcxt = cache_cxt;
		cache = hash_create("ecs_image_fdw cache", 256, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		if (!callbacks_registered)
		{
			CacheRegisterSyscacheCallback(FOREIGNSERVEROID,
										  invalidate_callback, (Datum) 0);
			CacheRegisterSyscacheCallback(USERMAPPINGOID,
										  invalidate_callback, (Datum) 0);
			callbacks_registered = true;
		}
	}

	for (i = 0; i < params->count; i++)
	{
		if (strcmp(params->items[i].name, "RegionId") == 0)
			region = params->items[i].value;
	}

	old = MemoryContextSwitchTo(cache_cxt);
	key = cache_key(config, action, params, &hash);
	entry = hash_search(cache, &hash, HASH_ENTER, &found);
	if (found)
	{
		cache_bytes -= entry->len;
		pfree(entry->key);
		pfree(entry->region);
		pfree(entry->body);
	}
	entry->key = key;
	entry->serverid = config->serverid;
	entry->region = pstrdup(region);
	entry->stored_at = GetCurrentTimestamp();
	entry->body = palloc(len + 1);
	memcpy(entry->body, body, len);
	entry->body[len] = '\0';
	entry->len = len;
	cache_bytes += len;
	MemoryContextSwitchTo(old);
}

/*
 * ecs_cache_invalidate
 *		Drop the entries of a server (InvalidOid: every server), only those
 *		of region if it is not NULL.  Returns how many were dropped.
 */
int64
ecs_cache_invalidate(Oid serverid, const char *region)
{
	HASH_SEQ_STATUS status;
	CacheEntry *entry;
	int64		n = 0;

	if (cache == NULL)
		return 0;
	hash_seq_init(&status, cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if ((!OidIsValid(serverid) || entry->serverid == serverid) &&
			(region == NULL || strcmp(entry->region, region) == 0))
		{
			remove_entry(entry);
			n++;
		}
	}
	return n;
}

/*
 * ecs_image_fdw_cache_clear
 *		SQL function: drop the cached answers of one server, or of all when
 *		the argument is NULL.  Returns how many were dropped.
 */
Datum
ecs_image_fdw_cache_clear(PG_FUNCTION_ARGS)
{
	Oid			serverid = InvalidOid;

	if (!PG_ARGISNULL(0))
		serverid = GetForeignServerByName(NameStr(*PG_GETARG_NAME(0)),
										  false)->serverid;
	PG_RETURN_INT64(ecs_cache_invalidate(serverid, NULL));
}
