"""The regions: ids, names in three languages, image-id prefixes, the
official endpoints, and which host serves which product and region."""

import re

from .common import ApiError, OOS_VERSION


# (region id, English name, image-id prefix).  --regions N takes the first N.
REGIONS = [
    ("cn-hangzhou", "China (Hangzhou)", "bp"),
    ("cn-shanghai", "China (Shanghai)", "uf"),
    ("cn-beijing", "China (Beijing)", "2ze"),
    ("cn-shenzhen", "China (Shenzhen)", "wz"),
    ("cn-qingdao", "China (Qingdao)", "m5"),
    ("cn-zhangjiakou", "China (Zhangjiakou)", "8vb"),
    ("cn-huhehaote", "China (Hohhot)", "hp3"),
    ("cn-chengdu", "China (Chengdu)", "2vc"),
    ("cn-hongkong", "China (Hong Kong)", "j6c"),
    ("ap-southeast-1", "Singapore", "t4n"),
    ("ap-southeast-3", "Malaysia (Kuala Lumpur)", "8ps"),
    ("ap-southeast-5", "Indonesia (Jakarta)", "k1a"),
    ("ap-northeast-1", "Japan (Tokyo)", "6we"),
    ("ap-south-1", "India (Mumbai)", "a2d"),
    ("us-west-1", "US (Silicon Valley)", "rj9"),
    ("us-east-1", "US (Virginia)", "0xi"),
    ("eu-central-1", "Germany (Frankfurt)", "gw8"),
    ("eu-west-1", "UK (London)", "d7o"),
    ("me-east-1", "UAE (Dubai)", "eb3"),
    ("cn-wulanchabu", "China (Ulanqab)", "0jl"),
    ("cn-guangzhou", "China (Guangzhou)", "7xv"),
    ("cn-heyuan", "China (Heyuan)", "f8z"),
    ("ap-southeast-6", "Philippines (Manila)", "3ns"),
    ("ap-southeast-7", "Thailand (Bangkok)", "0jo"),
    ("ap-northeast-2", "South Korea (Seoul)", "mj7"),
    ("ap-southeast-2", "Australia (Sydney)", "p0w"),
    ("cn-nanjing", "China (Nanjing - Local Region)", "gc7"),
    ("cn-fuzhou", "China (Fuzhou - Local Region)", "gw0"),
    ("me-central-1", "Saudi Arabia (Riyadh)", "l4v"),
    ("na-south-1", "Mexico", "0sb"),
    ("cn-shanghai-finance-1", "China East 2 Finance", "2zm"),
    ("cn-shenzhen-finance-1", "China South 1 Finance", "wz1"),
]

# LocalName of each region in the three languages DescribeRegions accepts
_ZH = ("华东1（杭州） 华东2（上海） 华北2（北京） 华南1（深圳） 华北1（青岛） 华北3（张家口） "
       "华北5（呼和浩特） 西南1（成都） 中国香港 新加坡 马来西亚（吉隆坡） 印度尼西亚（雅加达） "
       "日本（东京） 印度（孟买） 美国（硅谷） 美国（弗吉尼亚） 德国（法兰克福） 英国（伦敦） "
       "阿联酋（迪拜） 华北6（乌兰察布） 华南3（广州） 华南2（河源） 菲律宾（马尼拉） 泰国（曼谷） "
       "韩国（首尔） 澳大利亚（悉尼） 华东5（南京-本地地域） 华东6（福州-本地地域） 沙特（利雅得） "
       "墨西哥 华东2金融云 华南1金融云").split()
_JA = ("中国（杭州） 中国（上海） 中国（北京） 中国（深セン） 中国（青島） 中国（張家口） "
       "中国（フフホト） 中国（成都） 中国（香港） シンガポール マレーシア（クアラルンプール） "
       "インドネシア（ジャカルタ） 日本（東京） インド（ムンバイ） 米国（シリコンバレー） "
       "米国（バージニア） ドイツ（フランクフルト） イギリス（ロンドン） UAE（ドバイ） "
       "中国（ウランチャブ） 中国（広州） 中国（河源） フィリピン（マニラ） タイ（バンコク） "
       "韓国（ソウル） オーストラリア（シドニー） 中国（南京-ローカルリージョン） "
       "中国（福州-ローカルリージョン） サウジアラビア（リヤド） メキシコ 中国東部2金融 中国南部1金融").split()
LOCAL_NAMES = {"en-US": {r[0]: r[1] for r in REGIONS},
               "zh-CN": {r[0]: n for r, n in zip(REGIONS, _ZH)},
               "ja": {r[0]: n for r, n in zip(REGIONS, _JA)}}
assert len(_ZH) == len(_JA) == len(REGIONS)

# The official SDK endpoint map's exceptions; every other region is ecs.<region>.aliyuncs.com
ENDPOINT_EXCEPTIONS = {"cn-hangzhou": "ecs-cn-hangzhou.aliyuncs.com",
                       "cn-shanghai-finance-1": "ecs-cn-hangzhou.aliyuncs.com",
                       "cn-shenzhen-finance-1": "ecs-cn-hangzhou.aliyuncs.com"}


def region_endpoint(region):
    """The RegionEndpoint DescribeRegions gives a region."""
    return ENDPOINT_EXCEPTIONS.get(region, "ecs.%s.aliyuncs.com" % region)


def served_by(host):
    """What an official host serves: (product, regions), regions None for
    every region (the central ecs.aliyuncs.com); None for any other host (an
    address, the single-host setup of most tests, or another product)."""
    name = host.lower()
    if not name.startswith("["):
        name = name.rsplit(":", 1)[0]
    if not name.endswith(".aliyuncs.com"):
        return None
    label = name[:-len(".aliyuncs.com")]
    if label == "ecs":
        return "ecs", None
    shared = {r for r, h in ENDPOINT_EXCEPTIONS.items() if h == name}
    if shared:
        return "ecs", shared
    m = re.fullmatch(r"(ecs|oos)(?:-vpc)?\.([a-z0-9-]+)", label)
    if m:
        return m.group(1), {m.group(2)}
    return None


def check_host(host, version, region):
    """Refuse a request whose Host does not serve its product and RegionId.
    The cloud would answer it wrongly (another region's images, or none:
    aliyun-cli issue 179); the emulator fails it loudly instead."""
    served = served_by(host or "")
    if served is None:
        return
    product = "oos" if version == OOS_VERSION else "ecs"
    if served[0] != product or (region and served[1] is not None and region not in served[1]):
        raise ApiError(400, "IncorrectHost",
                       "The host %s does not serve %s requests for region %s." %
                       (host, product.upper(), region or "(none)"))
