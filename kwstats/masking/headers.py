"""Personal columns told by their header.

:func:`personal_header` tells a personal column by its header's words (投诉人姓名, 联系人电话, 家庭住址,
证件号, 电子邮箱, 联系方式 …) beyond params' ``personal_headers``, but not the respondent's or a
business's (经营地址详细地址, 被投诉方地址, 单位电话); ingest drops such a column, uses its values to
mask the row, and reports it in ``FileReport.personal_headers``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# A header that names a person's name, phone, address, ID, e-mail or contact (投诉人姓名, 联系人电话,
# 家庭住址, 证件号, 电子邮箱, 联系方式 …), or is the person (投诉人, 来电人 …); a bracketed note at the
# end (“（必填）”) is ignored. Not when it names the other side or a place of business: the
# respondent's 经营地址, 涉及主体名称, 被投诉方地址, 单位电话, 事发地址 are no personal data of the person
# who called.
_PERSONAL_HEADER = re.compile(
    r"(?:姓名|名字|电话|手机|座机|住址|地址|身份证|证件|护照|邮箱|邮件|e-?mail|联系方式|联系人|微信|qq"
    r"|(?:来电|回电|联系)号码)(?:号码|号|信息|地址)?$"
    r"|^(?:投诉|举报|来电|咨询|反映|诉求|申请|求助)人$",
    re.IGNORECASE,
)
_OTHER_SIDE_HEADER = re.compile(
    "经营|主体|被投诉|被举报|被反映|被申请|当事人|企业|商户|商家|店铺|门店|单位|事发|发生地|涉事"
)
_BRACKETED_END = re.compile(r"[(\[【][^)\]】]*[)\]】]$")


def personal_header(header: Any) -> bool:
    """Whether `header` names a personal column by its words (beyond params' ``personal_headers``).

    Ingest checks the mapped fields first: a header that is an alias of a field is that field.
    """
    h = _BRACKETED_END.sub("", re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(header))))
    return bool(h) and _PERSONAL_HEADER.search(h) is not None and _OTHER_SIDE_HEADER.search(h) is None
