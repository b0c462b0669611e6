"""Unit tests of the cell normalisers and name resolution (pure python, no database)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
import pytest

from loaders.formats import load_formats
from loaders.normalise import (
    CellError,
    app_no_check_digit,
    expiry_date,
    norm_app_no,
    norm_fee_model,
    norm_ipc,
    norm_ipc_list,
    normalise_table,
    parse_bool,
    parse_date,
    parse_int,
    parse_money,
    parse_rate,
    patent_type_from_app_no,
    split_list,
    status_in_force,
    term_facts,
)
from loaders.resolve import OrgResolver, fold_branch, is_person, norm_org_name, split_department


def _with_check(digits: str) -> str:
    return f"CN{digits}.{app_no_check_digit(digits)}"


GOOD = _with_check("202210001234")


@pytest.mark.parametrize("raw", [
    GOOD, GOOD[2:], GOOD.replace(".", ""), GOOD[2:].replace(".", ""), "ZL" + GOOD[2:],
    " cn" + GOOD[2:].lower() + " ", "202210001234", "CN 2022 1000 1234." + GOOD[-1],
    float(GOOD[2:].replace(".", "")) if GOOD[-1] != "X" else GOOD,
])
def test_app_no_forms_normalise_to_one(raw: object) -> None:
    assert norm_app_no(raw) == GOOD


def test_old_eight_digit_numbers() -> None:
    digits = "88100001"
    assert norm_app_no(digits) == f"CN{digits}.{app_no_check_digit(digits)}"
    assert patent_type_from_app_no(norm_app_no(digits)) == "invention"


def test_wrong_check_digit_is_rejected_with_the_expected_digit() -> None:
    wrong = str((int(GOOD[-1]) + 1) % 10) if GOOD[-1] != "X" else "0"
    with pytest.raises(CellError, match="校验位"):
        norm_app_no(GOOD[:-1] + wrong)


@pytest.mark.parametrize("raw", ["CN114000001A", "2022-100", "abc", "2022100012345678"])
def test_malformed_app_no(raw: str) -> None:
    with pytest.raises(CellError):
        norm_app_no(raw)


@pytest.mark.parametrize("digits,kind", [
    ("202210001234", "invention"), ("202220001234", "utility_model"),
    ("202230001234", "design"), ("202280001234", "invention"),
    ("202290001234", "utility_model"),
])
def test_patent_type_from_number(digits: str, kind: str) -> None:
    assert patent_type_from_app_no(_with_check(digits)) == kind


@pytest.mark.parametrize("raw,main,subclass", [
    ("A61B 5/00", "A61B5/00", "A61B"),
    ("A61B0005000000", "A61B5/00", "A61B"),
    ("A61B5/00", "A61B5/00", "A61B"),
    ("A61B 5/022(2006.01)", "A61B5/00", "A61B"),
    ("g06f 16/35", "G06F16/00", "G06F"),
    ("Ａ６１Ｂ５／００", "A61B5/00", "A61B"),
    ("H04N  21/00", "H04N21/00", "H04N"),
    ("A61B", None, "A61B"),
])
def test_ipc_forms(raw: str, main: str | None, subclass: str) -> None:
    assert norm_ipc(raw) == (main, subclass)


def test_ipc_list_dedupes_main_groups_in_order() -> None:
    assert norm_ipc_list("A61B 5/02；A61B5/00;G06F16/30\nA61B") == ["A61B5/00", "G06F16/00"]


@pytest.mark.parametrize("raw", ["X99Z 1/00", "12345", "A61B/00"])
def test_bad_ipc(raw: str) -> None:
    with pytest.raises(CellError):
        norm_ipc(raw)


@pytest.mark.parametrize("raw,iso", [
    ("2022-12-02", "2022-12-02"), ("2022/12/2", "2022-12-02"), ("2022.12.2", "2022-12-02"),
    ("20221202", "2022-12-02"), ("2022年12月2日", "2022-12-02"),
    ("2022-12-02 00:00:00", "2022-12-02"), (44897, "2022-12-02"), (44897.0, "2022-12-02"),
    ("44897", "2022-12-02"), (datetime(2022, 12, 2, 0, 0), "2022-12-02"),
    (date(2022, 12, 2), "2022-12-02"), (20221202, "2022-12-02"), ("", None), (None, None),
])
def test_dates(raw: object, iso: str | None) -> None:
    assert parse_date(raw) == iso


@pytest.mark.parametrize("raw", ["2022-13-45", "明年", "2022-02-30", "-5"])
def test_bad_dates(raw: str) -> None:
    with pytest.raises(CellError):
        parse_date(raw)


@pytest.mark.parametrize("raw,header,yuan", [
    ("12.5万元", "质押金额", 125000.0), ("1,200元", "质押金额", 1200.0), ("3亿元", "金额", 3e8),
    ("12.5", "质押金额(万元)", 125000.0), (12.5, "许可费（万元）", 125000.0),
    ("¥800", "保费", 800.0), ("", "保费", None),
])
def test_money(raw: object, header: str, yuan: float | None) -> None:
    assert parse_money(raw, header) == yuan


@pytest.mark.parametrize("raw,value", [("12", 12), ("12.0", 12), ("１２", 12), (12.0, 12)])
def test_ints(raw: object, value: int) -> None:
    assert parse_int(raw) == value


@pytest.mark.parametrize("raw", ["十二", "12.5", "n/a"])
def test_bad_ints(raw: str) -> None:
    with pytest.raises(CellError):
        parse_int(raw)


@pytest.mark.parametrize("raw,value", [("3%", 0.03), ("3", 0.03), (0.05, 0.05), ("0.1", 0.1)])
def test_rates(raw: object, value: float) -> None:
    assert parse_rate(raw) == pytest.approx(value)


@pytest.mark.parametrize("raw,value", [("是", True), ("否", False), ("Y", True), ("n", False),
                                       ("TRUE", True), ("0", False), ("有", True), ("无", False),
                                       (1.0, True)])
def test_bools(raw: object, value: bool) -> None:
    assert parse_bool(raw) is value


@pytest.mark.parametrize("raw,items", [
    ("张三;李四；王五", ["张三", "李四", "王五"]),
    ("张三、李四,王五，赵六", ["张三", "李四", "王五", "赵六"]),
    ("张三\n李四", ["张三", "李四"]),
    ("Huawei Technologies Co., Ltd.; 天津大学", ["Huawei Technologies Co., Ltd.", "天津大学"]),
    ("", []),
])
def test_split_list(raw: str, items: list[str]) -> None:
    assert split_list(raw) == items


@pytest.mark.parametrize("text,model", [
    ("一次性支付", "lump_sum"), ("入门费+销售提成", "base_plus_royalty"),
    ("先试用后付费", "try_then_pay"), ("按销售额提成", "royalty"), ("royalty", "royalty"),
])
def test_fee_models(text: str, model: str) -> None:
    assert norm_fee_model(text) == model


def test_unknown_fee_model_is_an_error() -> None:
    with pytest.raises(CellError):
        norm_fee_model("面议")


@pytest.mark.parametrize("filed,ptype,expiry", [
    ("2015-03-01", "invention", "2035-03-01"), ("2015-03-01", "utility_model", "2025-03-01"),
    ("2021-05-31", "design", "2031-05-31"), ("2021-06-01", "design", "2036-06-01"),
    ("2020-02-29", "utility_model", "2030-02-28"),
])
def test_expiry_by_the_law(filed: str, ptype: str, expiry: str) -> None:
    assert expiry_date(filed, ptype) == expiry


@pytest.mark.parametrize("status,valid", [
    ("有权", True), ("授权", True), ("专利权维持", True), ("审中", False), ("实质审查", False),
    ("未缴年费终止失效", False), ("驳回", False), ("撤回", False), ("部分无效", True),
    ("全部无效", False), (None, False),
])
def test_status_in_force(status: str | None, valid: bool) -> None:
    assert status_in_force(status) is valid


def test_term_facts_past_expiry_is_invalid() -> None:
    facts = term_facts("2000-01-01", "utility_model", "有权", today=date(2024, 6, 1))
    assert facts == {"expiry_date": "2010-01-01", "is_valid": False, "years_maintained": 10,
                     "remaining_years": 0.0}
    facts = term_facts("2020-06-01", "invention", "有权", today=date(2024, 6, 1))
    assert facts["is_valid"] and facts["years_maintained"] == 4
    assert facts["remaining_years"] == pytest.approx(16.0, abs=0.01)


# -- names ------------------------------------------------------------------------------------
@pytest.mark.parametrize("a,b", [
    ("示例科技（天津）有限公司", "示例科技(天津)有限公司"),
    ("示例科技(天津)有限公司", "天津示例科技有限公司"),
    ("天津市示例科技有限公司", "天津示例科技有限公司"),
    ("天津示例科技股份有限公司", "天津示例科技有限公司"),
    ("天津示例科技有限责任公司", "天津 示例科技 有限公司"),
])
def test_name_variants_normalise_equal(a: str, b: str) -> None:
    assert norm_org_name(a) == norm_org_name(b)


@pytest.mark.parametrize("name,parent", [
    ("示例科技有限公司天津分公司", "示例科技有限公司"),
    ("中国示例银行股份有限公司天津河东支行", "中国示例银行"),
    ("示例科技有限公司", "示例科技有限公司"),
])
def test_branches_fold_into_parent(name: str, parent: str) -> None:
    assert fold_branch(name) == parent


@pytest.mark.parametrize("name,parent,dept", [
    ("天津某大学化工学院", "天津某大学", "化工学院"),
    ("天津某大学", "天津某大学", None),
    ("天津某职业技术学院机电系", "天津某职业技术学院", "机电系"),
])
def test_departments(name: str, parent: str, dept: str | None) -> None:
    assert split_department(name) == (parent, dept)


@pytest.mark.parametrize("name,person", [
    ("张三", True), ("欧阳明月", True), ("John Smith", True), ("天津某大学", False),
    ("示例科技有限公司", False), ("Huawei Technologies Co., Ltd.", False),
])
def test_is_person(name: str, person: bool) -> None:
    assert is_person(name) is person


def test_resolver_matches_code_name_alias_branch_department() -> None:
    r = OrgResolver()
    ent = r.add("Enterprise", "91120102MA05ABCD1X", "示例医疗科技(天津)有限公司",
                credit_code="91120102MA05ABCD1X")
    uni = r.add("Institute", "name:天津示例大学", "天津示例大学", aliases=["示例大学"])
    assert r.resolve("天津示例医疗科技股份有限公司") == ent
    assert r.resolve("某名称", credit_code="91120102MA05ABCD1X") == ent
    assert r.resolve("天津示例医疗科技有限公司河东分公司") == ent
    assert r.resolve("示例大学") == uni
    assert r.resolve("天津示例大学化工学院") == uni
    assert r.departments[uni.key] == {"化工学院"}
    new = r.resolve("天津某某新材料研究院")
    assert (new.label, new.in_registry) == ("Institute", False)
    assert new.key == "name:天津某某新材料研究院"
    assert r.resolve("天津某某新材料研究院").key == new.key
    assert r.resolve("某某贸易有限公司").label == "Enterprise"


# -- whole tables: column by column, each distinct value parsed once ---------------------------
def _cell_by_cell(kind_name: str, frame: pd.DataFrame, mapping: dict[str, str],
                  first_row: int) -> tuple[list[dict], list[tuple]]:
    """The table semantics spelled out one cell at a time (the reference for the fast path)."""
    from loaders.normalise import _parser_for, is_blank

    fields = {f.name: f for f in load_formats()[kind_name].fields}
    rows, rejects = [], []
    for offset, record in enumerate(frame.to_dict("records")):
        if all(is_blank(v) for v in record.values()):
            continue
        out, bad = {"_row": first_row + offset}, []
        for header, name in mapping.items():
            try:
                value = _parser_for(name, fields[name].type)(record[header], header)
            except CellError as exc:
                bad.append((first_row + offset, header, str(exc)))
                continue
            if value in (None, [], ""):
                if fields[name].required:
                    bad.append((first_row + offset, header, "必填字段为空"))
                continue
            out[name] = value
        rejects += bad
        if not bad:
            rows.append(out)
    return rows, rejects


def _same_as_cell_by_cell(frame: pd.DataFrame, mapping: dict[str, str], file: str,
                          first_row: int) -> tuple[Any, list[dict], list[tuple]]:
    """The patents table read column-wise, checked row by row and reject by reject against
    the one-cell parsers."""
    table = normalise_table(load_formats()["patents"], frame, mapping, file=file,
                            first_row=first_row)
    rows, rejects = _cell_by_cell("patents", frame, mapping, first_row)
    assert [list(r.items()) for r in table.rows] == [list(r.items()) for r in rows]
    assert [(r.row, r.column, r.reason) for r in table.rejects] == rejects
    return table, rows, rejects


def test_table_of_mixed_excel_cells_reads_as_cell_by_cell() -> None:
    # Excel hands over ints, floats, bools, datetimes and text in one column: 1, 1.0 and True
    # are equal to Python but not to the parsers (True is no claim count).
    frame = pd.DataFrame({
        "申请号": ["CN202210001234", 202210001235, "x", None, "CN202210001234", "  ", "CN2022100"],
        "申请日": ["2022-01-02", 44562.0, "2022/1/2", None, datetime(2022, 1, 2), None, "-"],
        "专利名称": ["a", "b", "c", None, " a ", None, "d"],
        "申请(专利权)人": ["甲公司;乙公司", "甲公司", "甲公司", None, "甲公司;乙公司", None, "甲"],
        "权利要求数": [1, 1.0, True, None, "1", float("nan"), "2.5"],
    }, dtype=object)
    mapping = {"申请号": "app_no", "申请日": "app_date", "专利名称": "title",
               "申请(专利权)人": "applicants", "权利要求数": "claims_count"}
    table, rows, rejects = _same_as_cell_by_cell(frame, mapping, "f.xlsx", 3)
    assert {r.row for r in table.rejects} == {5, 9} and table.rejected_rows == 2
    assert [r.value for r in table.rejects if r.column == "权利要求数"] == ["True", "2.5"]
    # equal cells parse once, but rows never share a list someone could change
    assert table.rows[0]["applicants"] == table.rows[2]["applicants"]
    assert table.rows[0]["applicants"] is not table.rows[2]["applicants"]


def test_per_row_unique_columns_read_as_cell_by_cell() -> None:
    # The columns parsed many values at once (application numbers, lists, IPC lists): every
    # spelling, and every unreadable cell with the same reason as the one-cell parsers.
    frame = pd.DataFrame({
        "申请号": ["CN202210001234.2", "cn 2022-1000-1234", "ZL202210001247.X", "88100001",
                 "881000019", "2022100012342", "CN202210001234.5", "CN2022100012", "CN88100006X",
                 "ＣＮ２０２２１０００１２３４", "CN202210001234.2"],
        "专利名称": ["a"] * 11,
        "申请(专利权)人": ["甲公司;乙公司；甲公司", "Foo Co., Ltd.,Bar Inc", "甲公司、 乙公司 ",
                     "-", "甲\u3000公司|丙", "", "a;;b", "x", "y", "z", "甲公司;乙公司；甲公司"],
        "分类号": ["A61B 5/022(2006.01);A61B5/00;G06F", "H01M10/0525", "X99Z 1/00", "",
                "a61b 5/02, g06f 16/30", "A61B", "G06F16/30；G06F16/35", "H01L", "H01L",
                "H01L", "A61B 5/022(2006.01);A61B5/00;G06F"],
        "引证": ["CN202210001247.X;88100001", "CN202210001234.9", "", "-", "202210001234",
               "CN881000069", "x1", "", "", "", "CN202210001247.X;88100001"],
    }, dtype=object)
    mapping = {"申请号": "app_no", "专利名称": "title", "申请(专利权)人": "applicants",
               "分类号": "ipc_codes", "引证": "cites"}
    table, rows, rejects = _same_as_cell_by_cell(frame, mapping, "f.csv", 2)
    assert rows[0]["app_no"] == "CN202210001234.2" and rows[0]["cites"] == [
        "CN202210001247.X", "CN88100001.9"]
    assert any("校验位错误" in reason for _, _, reason in rejects)  # CN202210001234.5
    assert any(column == "分类号" for _, column, _ in rejects)  # X99Z 1/00
    assert any(column == "引证" for _, column, _ in rejects)  # CN202210001234.9, x1
