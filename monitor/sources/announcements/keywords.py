"""The words (English and Chinese) that say what an announcement is and what its dates are."""

from __future__ import annotations

import re

from monitor.sources.announcements.model import (
    BREAKING,
    DEPRECATION,
    KIND_DEPRECATION,
    KIND_EFFECTIVE,
    KIND_REMOVAL,
    MAINTENANCE,
    NEW_VERSION,
    RATE_LIMIT,
    REMOVAL,
)

# -- keywords ---------------------------------------------------------------------------------------------------------


def _words(*patterns: str) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in patterns]


# Chinese has no word boundaries, so its keywords are plain substrings.
_CATEGORY_KEYWORDS: dict[str, list[re.Pattern[str]]] = {
    REMOVAL: _words(
        r"\bremov(?:e|ed|es|al|ing)\b", r"\bsunset\w*", r"\bdecommission\w*", r"\bretir(?:e|ed|es|ing|ement)\b",
        r"\bend[- ]of[- ](?:life|support)\b", r"\bdiscontinu\w*", r"\bno longer (?:be )?(?:available|supported)\b",
        r"\bshut(?:ting)? down\b", r"\bstop(?:s|ped)? (?:running|working)\b", r"\bwill (?:start to )?fail\b",
        r"下线|停用|移除|删除|停止(?:服务|支持|使用)|关闭|退役",
    ),
    DEPRECATION: _words(r"\bdeprecat\w*", r"\bdepreciat\w*", r"\blegacy\b", r"\bobsolete\b", r"弃用|废弃|不再推荐|过时"),
    BREAKING: _words(
        r"\bbreaking\b", r"\b(?:to be|becomes?|became|is now|are now|now)\s+required\b",
        r"\bmake\s+(?:\w+\s+){0,3}required\b", r"\brequired\s+(?:propert|field|argument|parameter)\w*\b[^.\n]{0,60}"
        r"\bremoved\b", r"\bno longer (?:accepts?|supports?)\b", r"\brejects?\b", r"\bincompatib\w*",
        r"\bchanged? from (?:an? )?(?:object|string|array|integer|number|boolean|optional|required)\b",
        r"\bresponse[- ]shape\b", r"\bno longer (?:be )?returned\b", r"不兼容|破坏性|必填|变更|不再返回",
        # a field or value that stops appearing in responses breaks every reader of it
        r"\bnot (?:be )?returned\b", r"\bstop(?:s|ped)? (?:being )?returned\b", r"\bstop(?:s|ped)? returning\b",
    ),
    NEW_VERSION: _words(
        r"^new\b", r"\bnew:", r"\bintroduc\w*", r"\bnew (?:api )?version\b", r"\bnow available\b", r"\blaunch\w*",
        r"\bgenerally available\b",
        r"\bwhat'?s new\b", r"新版本|发布|推出|上线",
    ),
    RATE_LIMIT: _words(
        r"\brate[- ]limit\w*", r"\bthrottl\w*", r"\bquotas?\b", r"\brequests? per (?:second|minute|hour|day)\b",
        r"\busage plan\b", r"限流|限速|配额|调用频率|速率限制",
    ),
    MAINTENANCE: _words(
        r"\bmaintenance\b", r"\bdowntime\b", r"\boutage\b", r"\bservice (?:interruption|unavailable)\b",
        r"维护|停机|宕机",
    ),
}  # fmt: skip
# Enumerations of change kinds ("APIs added or removed") describe a changelog, they announce nothing.
_NEUTRAL = re.compile(r"\badded (?:or|and|/) removed\b|\bremoved (?:or|and|/) added\b", re.IGNORECASE)
_ACTION_REQUIRED = re.compile(r"\baction required\b|需要(?:您)?(?:采取)?行动|必须迁移", re.IGNORECASE)
_TITLE_WEIGHT = 3  # a title (or a feed category tag) says what the post is about; the body mentions things
_BODY_CAP = 3  # occurrences of one keyword counted in a body, so one long list does not outvote the title

# Words close to a date that say what the date is. Chinese puts the verb after the date (将于2025年3月31日下线).
_DATE_KEYWORDS: list[tuple[str, re.Pattern[str]]] = [
    (KIND_REMOVAL, re.compile(
        r"\bremov(?:e|ed|al)\b|\bsunset\w*|\bdecommission\w*|\bretire[ds]?\b|\bend[- ]of[- ](?:life|support)\b"
        r"|\bdiscontinu\w*|\bno longer\b|\bstop(?:s|ped)? (?:running|working|being returned|returning)\b"
        r"|\bshut(?:ting)? down\b"
        r"|\bfail\b|\buntil\b|\bmigrat\w* (?:to\b.*\b)?by\b|\bmust be (?:migrated|completed)\b|\bdeadline\b"
        r"|下线|停用|移除|删除|停止|关闭|退役|截止|前(?:完成)?迁移",
        re.IGNORECASE,
    )),
    # "no longer be supported or maintained from <date> and will be retired on <date>" (TikTok Shop's legacy API
    # notice): support ends first, the API goes later.
    (KIND_DEPRECATION, re.compile(
        r"\bdeprecat\w*|\bdepreciat\w*|\blegacy\b|\bno longer (?:be )?(?:supported|maintained)\b|弃用|废弃|不再维护",
        re.IGNORECASE,
    )),
    (KIND_EFFECTIVE, re.compile(
        r"\beffective\b|\bstarting\b|\bstarts?\b|\bbeginning\b|\bbegins?\b|\bas of\b|\bfrom\b|\bafter\b"
        r"|生效|起|开始",
        re.IGNORECASE,
    )),
]  # fmt: skip
# A date directly followed by "to <date>" is the old value of a moved date; the new one inherits its kind.
_MOVED_TO = re.compile(r"^\s*(?:to|->|→|改为|推迟到|推迟至|延期到|延期至|延至|调整为)\s*$")
_TODAY = re.compile(r"\btoday\b|今天|今日", re.IGNORECASE)
# Clause boundaries: a date's context never reaches past one. ": " and " - " end a heading ("Reminders - June 2025").
# A Latin comma is none: "Effective March 31, 2026, the operation will no longer be available" is one clause.
_BOUNDARY = re.compile(r"[.;!?](?=\s|$)|\n|[，；。！？|]|:\s|\s[-–—]\s")
_CONTEXT_CHARS = 120
_MAX_DATES = 200  # a real post states a few dozen; a hostile one must not make the subject search quadratic
# "Complete the survey by 11 June 2022, or your APP(s) will no longer be able to access ... from 12 June 2022": the
# second date is what happens to those who do not act, not an announced removal (Shopee's Open API 1.0 plan).
_CONDITIONAL = re.compile(r"(?:^|[,，;]\s*)(?:or|otherwise)\s+(?:your?|the|it|they)\b|否则|不然", re.IGNORECASE)
# Phased plans give each phase its own date: "Phase 1 APIs will be deprecated on 11 August 2022", "第二阶段".
_PHASE = re.compile(
    r"\bphase\s*(?P<n>\d+|one|two|three|four|i{1,3}|iv)\b|第\s*(?P<zh>[一二三四五六七八九十\d]+)\s*(?:阶段|期)"
    r"|阶段\s*(?P<zh2>\d+)",
    re.IGNORECASE,
)
_SAME_EVENT_DAYS = 7
_PHASE_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "i": "1", "ii": "2", "iii": "3", "iv": "4",
                  "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
                  "十": "10"}  # fmt: skip


# A part of a line that lists operations NOT affected ("getShipments, getLabels: Will remain operational").
_UNAFFECTED = re.compile(
    r"\bremain\w*\b|\bnot (?:be )?affected\b|\bunaffected\b|\bcontinue to\b|不受影响|继续", re.IGNORECASE
)
