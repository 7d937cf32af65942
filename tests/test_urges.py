"""催办次数 (urges) that no case can have are set aside, never overflow (issue 7, outside test).

`99999999999999999999999` in a CSV used to become -9223372036854775808 in the official bulletin
(“当月市局催办 -9223372036854775808 次”). Every input is a tiny export made here; expected values are
worked by hand.
"""

from __future__ import annotations

from pathlib import Path

from kwstats.ingest import MAX_URGES, REASON_BAD_URGES, REASON_TOO_MANY_URGES, read_exports
from kwstats.params import Branch
from tests.test_ingest import check_accounting, row, write_csv

URGES = "催办次数"


def test_absurd_urges_are_set_aside_with_file_line_column_and_reason(tmp_path: Path, branch: Branch) -> None:
    values = [
        "",
        "2次",
        "1000",
        "１０",
        "1001",
        "99999999999999999999999",
        "9223372036854775808",
        "-1",
        "2.5",
    ]
    path = write_csv(tmp_path / "urges.csv", [row(i, **{URGES: v}) for i, v in enumerate(values, start=1)])
    result = read_exports([path], branch)
    check_accounting(result)
    assert MAX_URGES == 1000
    # used: blank -> 0, 2次 -> 2, 1000, full-width 10 -> 10
    assert (result.rows_read, result.rows_used, result.rows_set_aside) == (9, 4, 5)
    urges = result.cases.set_index("case_id")["urges"]
    assert urges.to_dict() == {"K00001": 0, "K00002": 2, "K00003": 1000, "K00004": 10}
    assert int(urges.sum()) == 1012 and str(urges.dtype) == "int64"
    # set aside: lines 6-10 (line 1 is the header), each naming its file, column and reason
    rejected = {int(r.source_line): r for r in result.rejected.itertuples(index=False)}
    assert sorted(rejected) == [6, 7, 8, 9, 10]
    for line, reason in [
        (6, REASON_TOO_MANY_URGES),
        (7, REASON_TOO_MANY_URGES),
        (8, REASON_TOO_MANY_URGES),
        (9, REASON_BAD_URGES),
        (10, REASON_BAD_URGES),
    ]:
        r = rejected[line]
        assert (str(r.source_file), str(r.column), str(r.reason)) == ("urges.csv", URGES, reason)
    assert REASON_TOO_MANY_URGES == "催办次数不合理（超过 1000 次）"
    assert str(rejected[6].value) == "1001"
    assert str(rejected[7].value) == "99999999999999999999999"
    assert str(rejected[9].value) == "-1"
