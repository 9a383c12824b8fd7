"""Word lists for the demo county: people's names, place names and organisation names.

Every name is made up. Surnames are weighted towards northern Fujian (闽北), where 陈, 林, 黄 lead;
given names follow the fashion of the decade of birth, so a grandmother is 秀英 and her
granddaughter 梓涵.
"""

from __future__ import annotations

import random

COUNTY_CODE = "350799"  # unused in the national code table, inside 南平市 (3507)
COUNTY_NAME = "松川县"

# (surname, weight) — weights are per-mille shares, roughly those of a 闽北 county.
SURNAMES: list[tuple[str, float]] = [
    ("陈", 95), ("林", 70), ("黄", 55), ("张", 50), ("吴", 48), ("李", 46), ("王", 40), ("刘", 38),
    ("叶", 30), ("郑", 28), ("魏", 24), ("徐", 24), ("杨", 20), ("周", 20), ("范", 16), ("詹", 16),
    ("江", 15), ("蔡", 13), ("邱", 12), ("何", 12), ("谢", 12), ("余", 12), ("朱", 12), ("胡", 11),
    ("罗", 10), ("翁", 10), ("游", 9), ("肖", 9), ("许", 9), ("潘", 8), ("赖", 8), ("曾", 8),
    ("卢", 7), ("彭", 7), ("苏", 7), ("廖", 7), ("杜", 6), ("方", 6), ("程", 6), ("雷", 6),
    ("蓝", 6), ("钟", 5), ("邓", 5), ("高", 5), ("郭", 5), ("孙", 5), ("马", 5), ("宋", 4),
    ("赵", 4), ("丁", 4), ("汪", 4), ("毛", 4), ("姚", 4), ("阮", 4), ("危", 3), ("饶", 3),
    ("龚", 3), ("傅", 3), ("柯", 3), ("上官", 1), ("欧阳", 1),
]

# Given-name characters by generation (born before 1965, 1965–1989, 1990 and later).
_MALE = {
    "old": "国建华明志德福金荣生平海根林水忠文长春贵发清祥永财宝兴旺义仁光",
    "mid": "伟强军勇斌涛辉杰峰刚超波磊鹏俊明华平亮东林海军文斌宏建志永剑锋健",
    "young": "浩宇轩博子晨泽睿一航天嘉昊思宏俊哲逸杰然铭瑞鑫恒烨煜霖梓涵豪诚",
}
_FEMALE = {
    "old": "秀英桂兰玉珍凤琴花金梅香月仙莲菊娥淑美素云翠荣春妹招娣",
    "mid": "芳娟敏静丽艳玲燕红霞梅婷雪慧琳颖萍丹洁莉晶娜华英青霞秀",
    "young": "欣怡涵萱诗雨梓可佳思妍悦晴琪瑶彤馨雅琳婉若曦沐语童汐宁薇",
}


class NameMaker:
    """Plausible Chinese names from a seeded generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._surnames = [s for s, _ in SURNAMES]
        self._cum = []
        total = 0.0
        for _, weight in SURNAMES:
            total += weight
            self._cum.append(total)

    def surname(self) -> str:
        return self.rng.choices(self._surnames, cum_weights=self._cum, k=1)[0]

    def given(self, *, male: bool, birth_year: int) -> str:
        era = "old" if birth_year < 1965 else "mid" if birth_year < 1990 else "young"
        chars = _MALE[era] if male else _FEMALE[era]
        if self.rng.random() < 0.22:
            return self.rng.choice(chars)
        first, second = self.rng.choice(chars), self.rng.choice(chars)
        while second == first:
            second = self.rng.choice(chars)
        return first + second

    def full(self, *, male: bool, birth_year: int, surname: str | None = None) -> str:
        return (surname or self.surname()) + self.given(male=male, birth_year=birth_year)


# Names of residents from abroad (spouses and workers living in the county; no resident ID number).
OVERSEAS_NAMES = [
    ("阮氏兰", False), ("阮氏秋", False), ("黎氏梅", False), ("陈氏玉", False), ("范氏香", False),
    ("武氏花", False), ("玛温", False), ("苏苏", False), ("金敏俊", True), ("朴志勋", True),
    ("约翰·史密斯", True), ("阮文雄", True),
]

# --- places -----------------------------------------------------------------------------------

SUBDISTRICT_NAMES = ["城关街道", "溪东街道", "松源街道", "湖滨街道"]
TOWN_NAMES = ["青溪镇", "梅口镇", "白岩镇", "龙潭镇", "桐坪乡", "花桥乡", "竹林乡", "石门镇", "枫岭乡", "杉坊镇"]
COMMUNITY_NAMES = [
    "城东社区", "城西社区", "城南社区", "城北社区", "中山社区", "滨江社区", "溪东社区", "湖滨社区", "新华社区",
    "解放社区", "文昌社区", "南门社区", "北门社区", "松源社区", "水南社区", "凤凰社区", "钟楼社区", "学前社区",
]
_VILLAGE_FIRST = "上下东西南北大小新老前后中高长竹梅桃杉枫松茶石龙凤花黄白青沙潭桥"
_VILLAGE_SECOND = ["坊", "坑", "洋", "岭", "溪", "源", "田", "坪", "墩", "厝", "坂", "湾", "口", "洲", "山",
                   "林", "塘", "垄", "岗", "岩", "庄", "阳"]
ROADS = ["解放路", "人民路", "中山路", "建设路", "胜利街", "府前路", "文化路", "新华路", "滨江路", "松源路",
         "溪东路", "城南路", "北门街", "南门街", "水南街", "学前巷", "米仓巷", "钟楼巷", "东关路", "环城路",
         "朝阳路", "育才路", "迎宾大道", "站前路", "振兴路", "和平街", "青年路", "工业路", "五一路", "双拥路"]
_ESTATE_FIRST = ["幸福", "锦绣", "阳光", "翠苑", "金桥", "华府", "江南", "滨江", "御景", "丽景", "书香", "盛世",
                 "和谐", "碧水", "龙湖", "凤凰", "东方", "世纪", "万家", "康乐", "怡景", "水岸", "学府", "南湖",
                 "紫荆", "玉兰", "桂园", "枫林", "松涛", "溪畔", "福苑", "安居", "星河", "清华", "嘉禾", "明珠",
                 "春晖", "文昌", "北苑", "东湖", "金域", "翰林", "锦江", "蓝湾", "香樟", "绿洲", "东岳", "西湖",
                 "中央", "鸿运", "富民", "兴华", "建兴", "电力", "粮食", "供销", "林业", "教师", "税务", "邮电",
                 "交通", "人民", "青年"]
_ESTATE_SECOND = ["小区", "花园", "家园", "新村", "苑", "公寓", "名城", "雅居", "华庭", "新城", "佳园", "山庄",
                  "嘉园"]
_ROAD_PARTS = ["东段", "西段", "南段", "北段", "中段", "一巷", "二巷", "三巷"]
_CHINESE_DIGITS = "〇一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三 (up to 99)."""
    if n <= 10:
        return _CHINESE_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "十" if tens == 1 else _CHINESE_DIGITS[tens] + "十"
    return head + (_CHINESE_DIGITS[ones] if ones else "")


def pick_names(rng: random.Random, preferred: list[str], n: int, fallback: str, *,
               shuffle: bool = True) -> list[str]:
    """``n`` distinct names: the preferred ones (shuffled unless told), then numbered fallbacks."""
    names = list(preferred)
    if shuffle:
        rng.shuffle(names)
    names = names[:n]
    i = 1
    while len(names) < n:
        names.append(fallback.format(i=chinese_number(i) if i < 100 else i))
        i += 1
    return names


class PlaceNames:
    """Distinct names for villages, housing estates (小区) and streets, drawn without repeats."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._villages: set[str] = set()
        self._estates: set[str] = set()

    def village(self) -> str:
        for _ in range(200):
            name = self.rng.choice(_VILLAGE_FIRST) + self.rng.choice(_VILLAGE_SECOND)
            if name[0] != name[1] and name not in self._villages:
                self._villages.add(name)
                return name + "村"
        name = f"新建{len(self._villages) + 1}"
        self._villages.add(name)
        return name + "村"

    def estate(self) -> str:
        for _ in range(200):
            name = self.rng.choice(_ESTATE_FIRST) + self.rng.choice(_ESTATE_SECOND)
            if name not in self._estates:
                self._estates.add(name)
                return name
        for phase in range(2, 100):  # a second phase of an estate: 幸福小区二期
            base = self.rng.choice(sorted(e for e in self._estates if not e.endswith("期")))
            name = f"{base}{chinese_number(phase)}期"
            if name not in self._estates:
                self._estates.add(name)
                return name
        raise RuntimeError("ran out of housing estate names")

    def road(self) -> str:
        return self.rng.choice(ROADS)

    def street_section(self) -> str | None:
        """A section or lane of a town street (解放路东段, 人民路二巷), or None when all are taken."""
        for _ in range(50):
            name = self.rng.choice(ROADS) + self.rng.choice(_ROAD_PARTS)
            if name not in self._estates:
                self._estates.add(name)
                return name
        return None


# --- organisations ----------------------------------------------------------------------------

TRADE_NAMES = ["瑞丰", "鑫源", "恒泰", "华兴", "绿源", "青山", "宏达", "永盛", "金穗", "正和", "嘉禾", "顺昌",
               "福源", "隆兴", "天和", "盛达", "康泰", "佳惠", "荣发", "新锐", "润华", "兴业", "同心", "百川",
               "众联", "聚福", "丰泽", "远航", "诚信", "山海"]
INDUSTRIES = ["茶业有限公司", "竹木制品有限公司", "食品有限公司", "建材有限公司", "农业开发有限公司",
              "电子科技有限公司", "物流有限公司", "纺织有限公司", "生态农业有限公司", "旅游开发有限公司",
              "林业发展有限公司", "机械制造有限公司", "建筑工程有限公司", "果蔬专业合作社", "酒业有限公司"]
SHOP_KINDS = ["便利店", "超市", "五金店", "药店", "理发店", "水果店", "早餐店", "小吃店", "手机店", "服装店",
              "母婴店", "茶叶店", "粮油店", "家电维修部", "快递驿站", "烟酒店", "面馆", "饭店"]
