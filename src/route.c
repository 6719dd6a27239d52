/*-------------------------------------------------------------------------
 *
 * route.c
 *		  Which host serves a region: the official endpoints, or the
 *		  superuser's endpoint options.
 *
 * Each region has its own host, and a request whose RegionId belongs to
 * another region's host gets wrong or empty answers.  Without an endpoint
 * option, ECS requests follow the RegionEndpoint that DescribeRegions gave
 * for the region (remembered for the backend's life, per server), else the
 * official SDK's endpoint map: most regions at ecs.<region>.aliyuncs.com, a
 * few exceptions at ecs-cn-hangzhou.aliyuncs.com or ecs.aliyuncs.com.  With
 * network 'vpc', ECS and OOS use the VPC hosts ecs-vpc.<region> and
 * oos-vpc.<region>.  OOS goes to oos.<region>.aliyuncs.com.
 *
 * A region id is checked (ecs_check_region_id) before any of this, and a
 * RegionEndpoint from an answer is used only when it is a host name under
 * aliyuncs.com that starts with "ecs": nothing a query or an answer holds
 * can choose another host, a port or a path.
 *
 * A region that DescribeRegions does not list would be a host that does not
 * resolve; ecs_route_region_known() tells the callers to ask DescribeRegions
 * first (fanout.c, ecs_api_call), so such a region gets an immediate
 * answer: no rows in a query, an ERROR naming the account's regions
 * otherwise.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/route.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "ecs_image_fdw.h"

#define ALIYUN_DOMAIN ".aliyuncs.com"

/* The official endpoint map's exceptions to ecs.<region>.aliyuncs.com */
static const struct
{
	const char *region;
	const char *host;
}			endpoint_exceptions[] = {
	{"cn-hangzhou", "ecs-cn-hangzhou.aliyuncs.com"},
	{"cn-shanghai-finance-1", "ecs-cn-hangzhou.aliyuncs.com"},
	{"cn-shenzhen-finance-1", "ecs-cn-hangzhou.aliyuncs.com"},
	{"cn-north-2-gov-1", "ecs.aliyuncs.com"},
	{"cn-beijing-gov-1", "ecs.aliyuncs.com"},
	{"cn-beijing-finance-pop", "ecs.aliyuncs.com"},
	{"cn-hangzhou-finance", "ecs.aliyuncs.com"},
	{"cn-hongkong-finance-pop", "ecs.aliyuncs.com"},
	{"cn-shanghai-inner", "ecs.aliyuncs.com"},
	{"cn-shenzhen-inner", "ecs.aliyuncs.com"},
	{"cn-wuhan", "ecs.aliyuncs.com"},
	{"cn-yushanfang", "ecs.aliyuncs.com"},
	{"cn-zhangbei", "ecs.aliyuncs.com"},
	{"ap-northeast-2-pop", "ecs.aliyuncs.com"},
	{"rus-west-1-pop", "ecs.aliyuncs.com"},
	{NULL, NULL}
};

/* The public regions of the official map, routed without asking first */
static const char *const map_regions[] = {
	"cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote",
	"cn-wulanchabu", "cn-hangzhou", "cn-shanghai", "cn-nanjing", "cn-fuzhou",
	"cn-shenzhen", "cn-heyuan", "cn-guangzhou", "cn-chengdu", "cn-hongkong",
	"ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
	"ap-southeast-3", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ap-south-1", "us-east-1", "us-west-1", "eu-west-1", "eu-central-1",
	"me-east-1", "me-central-1", "na-south-1", "cn-shanghai-finance-1",
	"cn-shenzhen-finance-1", NULL
};

/* A region DescribeRegions listed, with its RegionEndpoint if valid */
typedef struct ListedRegion
{
	char	   *region;
	char	   *host;			/* or NULL */
} ListedRegion;

/* What DescribeRegions listed for a server; TopMemoryContext */
typedef struct Listed
{
	Oid			serverid;
	List	   *regions;		/* ListedRegion *, in the answer's order */
} Listed;

static List *listed_servers = NIL;

static Listed *listed_for(Oid serverid);
static bool valid_region_endpoint(const char *host);
static int	region_cmp(const ListCell *a, const ListCell *b);
static char *official_host(const EcsConfig *config, bool oos,
						   const char *region);

/*
 * listed_for
 *		What DescribeRegions listed for a server, or NULL if nothing yet.
 */
static Listed *
listed_for(Oid serverid)
{
	ListCell   *lc;

	foreach(lc, listed_servers)
	{
		Listed	   *l = lfirst(lc);

		if (l->serverid == serverid)
			return l;
	}
	return NULL;
}

/*
 * valid_region_endpoint
 *		Whether a RegionEndpoint from an answer is a host name we may send
 *		keys to: lower-case letters, digits, dots and hyphens, starting with
 *		"ecs", under aliyuncs.com, without empty labels.
 */
static bool
valid_region_endpoint(const char *host)
{
	size_t		n = strlen(host);
	size_t		d = strlen(ALIYUN_DOMAIN);

	return n > d && n <= 253 && strncmp(host, "ecs", 3) == 0 &&
		strcmp(host + n - d, ALIYUN_DOMAIN) == 0 &&
		strspn(host, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n &&
		strstr(host, "..") == NULL && host[n - d - 1] != '-';
}

/* The fields of a DescribeRegions answer that ecs_route_learn takes */
const EcsField ecs_route_fields[ECS_ROUTE_NFIELDS] = {
	{"RegionId", ECS_FIELD_SCALAR}, {"RegionEndpoint", ECS_FIELD_SCALAR}
};

/*
 * ecs_route_learn
 *		Remember the regions of one DescribeRegions answer of a server, and
 *		their RegionEndpoint where it is valid.  pairs holds n pairs of
 *		ecs_route_fields, RegionId and RegionEndpoint (either may be NULL).
 */
void
ecs_route_learn(const EcsConfig *config, char **pairs, int n)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	Listed	   *l = listed_for(config->serverid);
	ListCell   *lc;
	int			i;

	if (l == NULL)
	{
		l = palloc0(sizeof(Listed));
		l->serverid = config->serverid;
		listed_servers = lappend(listed_servers, l);
	}
	foreach(lc, l->regions)
	{
		ListedRegion *r = lfirst(lc);

		pfree(r->region);
		if (r->host)
			pfree(r->host);
	}
	list_free_deep(l->regions);
	l->regions = NIL;
	for (i = 0; i < n; i++)
	{
		ListedRegion *r;

		const char *region = pairs[2 * i];
		const char *host = pairs[2 * i + 1];

		if (region == NULL || !ecs_valid_region_id(region))
			continue;
		r = palloc(sizeof(ListedRegion));
		r->region = pstrdup(region);
		r->host = host && valid_region_endpoint(host) ? pstrdup(host) : NULL;
		l->regions = lappend(l->regions, r);
	}
	MemoryContextSwitchTo(old);
}

/*
 * ecs_route_region_known
 *		Whether requests for region may go out without asking DescribeRegions
 *		first: any region with an endpoint option; otherwise a region the
 *		server's last DescribeRegions listed, or, before any, a region of the
 *		official endpoint map.
 */
bool
ecs_route_region_known(const EcsConfig *config, const char *region)
{
	Listed	   *l;
	ListCell   *lc;
	int			i;

	if (config->endpoint != NULL)
		return true;
	if ((l = listed_for(config->serverid)) != NULL)
	{
		foreach(lc, l->regions)
		{
			if (strcmp(((ListedRegion *) lfirst(lc))->region, region) == 0)
				return true;
		}
		return false;
	}
	for (i = 0; map_regions[i] != NULL; i++)
	{
		if (strcmp(map_regions[i], region) == 0)
			return true;
	}
	return false;
}

static int
region_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/*
 * ecs_route_region_list
 *		The regions the server's last DescribeRegions listed, comma-separated
 *		and sorted, for a hint.
 */
char *
ecs_route_region_list(const EcsConfig *config)
{
	Listed	   *l = listed_for(config->serverid);
	List	   *sorted;
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	if (l == NULL)
		return buf.data;
	sorted = NIL;
	foreach(lc, l->regions)
		sorted = lappend(sorted, ((ListedRegion *) lfirst(lc))->region);
	list_sort(sorted, region_cmp);
	foreach(lc, sorted)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
						 (char *) lfirst(lc));
	return buf.data;
}

/*
 * official_host
 *		The official host of region (already checked) for ECS or OOS.
 */
static char *
official_host(const EcsConfig *config, bool oos, const char *region)
{
	Listed	   *l;
	int			i;

	if (config->network_vpc)
		return psprintf("%s-vpc.%s%s", oos ? "oos" : "ecs", region,
						ALIYUN_DOMAIN);
	if (oos)
		return psprintf("oos.%s%s", region, ALIYUN_DOMAIN);
	if ((l = listed_for(config->serverid)) != NULL)
	{
		ListCell   *lc;

		foreach(lc, l->regions)
		{
			ListedRegion *r = lfirst(lc);

			if (strcmp(r->region, region) == 0 && r->host != NULL)
				return pstrdup(r->host);
		}
	}
	for (i = 0; endpoint_exceptions[i].region != NULL; i++)
	{
		if (strcmp(endpoint_exceptions[i].region, region) == 0)
			return pstrdup(endpoint_exceptions[i].host);
	}
	return psprintf("ecs.%s%s", region, ALIYUN_DOMAIN);
}

/*
 * ecs_route_endpoint
 *		The endpoint template for a request (a URL without path that may
 *		hold "{region}"), or, without endpoint options, the official
 *		endpoint of region.  With an endpoint and no oos_endpoint, OOS goes
 *		where the endpoint's host says with "ecs" turned into "oos"; an
 *		endpoint that does not start with "ecs" leaves OOS nowhere to go.
 */
char *
ecs_route_endpoint(const EcsConfig *config, bool oos, const char *region)
{
	const char *host;

	if (oos && config->oos_endpoint != NULL)
		return pstrdup(config->oos_endpoint);
	if (config->endpoint == NULL)
		return psprintf("https://%s", official_host(config, oos, region));
	if (!oos)
		return pstrdup(config->endpoint);

	host = strstr(config->endpoint, "://") + 3;
	if (strncmp(host, "ecs.", 4) != 0 && strncmp(host, "ecs-", 4) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no oos_endpoint", config->servername),
				 errdetail("The endpoint option is set and its host does not start with \"ecs\", so there is no OOS host to derive from it."),
				 errhint("Set the oos_endpoint option of the server.")));
	return psprintf("%.*soos%s", (int) (host - config->endpoint),
					config->endpoint, host + 3);
}
