"""Chinese search: ranking checked against a pandas computation over the same records."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from patentkg.errors import InputError
from queries.search import app_no_candidates, query_words, read_names, search

VOCAB = ["风力发电", "机组", "控制", "方法", "核电站", "安全", "监测", "装置", "地质", "勘探",
         "钻头", "医疗", "影像", "电力", "变压器", "故障", "诊断"]


def _check(digits: str) -> str:
    w = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    r = sum(int(d) * x for d, x in zip(digits, w, strict=False)) % 11
    return "X" if r == 10 else str(r)


@pytest.fixture(scope="module")
def patents() -> pd.DataFrame:
    rnd = random.Random(3)
    rows = []
    for i in range(150):
        digits = f"2021100{i:05d}"
        words = rnd.sample(VOCAB, rnd.randint(2, 4))
        rows.append({"app_no": f"CN{digits}.{_check(digits)}", "title": "".join(words),
                     "abstract": "本发明公开了一种" + "".join(rnd.sample(VOCAB, 2)) + "。"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def store(falkor_server, patents):
    from conftest import fresh_falkor_store

    s = fresh_falkor_store(falkor_server, prefix="search")
    s.ensure_schema()
    s.write_batches("UNWIND $rows AS r CREATE (p:Patent) SET p = r",
                    patents.to_dict("records"))
    s.write_batches("UNWIND $rows AS r CREATE (e:Enterprise) SET e = r", [
        {"org_key": "91120102MA05XXXX1A", "name": "天津河东风电科技有限公司"},
        {"org_key": "91120102MA05YYYY2B", "name": "天津市医疗影像设备有限公司"},
        {"org_key": "ORG-3", "name": "北京核安全研究所"}])
    s.write("CREATE (:Institute {org_key: 'I-1', name: '天津大学'})")
    s.write("CREATE (:Park {park_id: 'P01', name: '棉三创意街区'})")
    s.write("CREATE (:IPC {code: 'A61B5/00'})")
    yield s
    s.clear()
    s.close()


@pytest.mark.parametrize("q", ["风力发电 控制", "核电站安全监测", "变压器故障", "地质钻头"])
def test_multiword_ranking_matches_pandas(store, patents, q) -> None:
    words = query_words(q)
    assert len(words) >= 2
    text = (patents["title"] + "\n" + patents["abstract"]).str.lower()
    covered = text.apply(lambda t: sum(w in t for w in words))
    hits = [h for h in search(store, q, types=["专利"], limit=200)]
    ranks = {h["key"]: i for i, h in enumerate(hits)}
    all_words = set(patents.loc[covered == len(words), "app_no"])
    some_words = set(patents.loc[(covered > 0) & (covered < len(words)), "app_no"])
    assert all_words and all_words <= set(ranks)  # every full match is found
    assert max(ranks[k] for k in all_words) < min(
        (ranks[k] for k in some_words if k in ranks), default=len(hits))
    for h in hits:
        assert h["label"] == "Patent" and h["id"] == f"Patent:{h['key']}"
        expected = covered[patents["app_no"] == h["key"]].iloc[0]
        if h["key"] in all_words | some_words:
            assert len(h["matched"]) == expected
    # coverage never increases down the list
    counts = [covered[patents["app_no"] == h["key"]].iloc[0] for h in hits]
    assert counts == sorted(counts, reverse=True)


def test_application_number_spellings(store, patents) -> None:
    app_no = patents["app_no"].iloc[42]  # CN202110000042.x
    digits, check = app_no[2:].split(".")
    for spelling in (app_no, app_no.lower(), f"{digits}.{check}", f"{digits}{check}",
                     f"ZL{digits}.{check}", digits, f" CN {digits}.{check} "):
        hits = search(store, spelling)
        assert hits and hits[0]["id"] == f"Patent:{app_no}", spelling
    assert app_no_candidates("not a number") == []


def test_entity_names_credit_code_and_ipc(store) -> None:
    assert search(store, "天津")[0]["label"] in ("Enterprise", "Institute")
    names = {h["caption"] for h in search(store, "天津", types=["Enterprise", "Institute"])}
    assert names == {"天津河东风电科技有限公司", "天津市医疗影像设备有限公司", "天津大学"}
    assert search(store, "风电科技")[0]["key"] == "91120102MA05XXXX1A"
    assert search(store, "91120102ma05yyyy2b")[0]["key"] == "91120102MA05YYYY2B"
    assert search(store, "棉三", types=["园区"])[0]["key"] == "P01"
    assert search(store, "a61b 5/00")[0]["id"] == "IPC:A61B5/00"
    assert search(store, "a61b5")[0]["id"] == "IPC:A61B5/00"


def test_type_filter_and_hit_shape(store) -> None:
    hits = search(store, "医疗影像", types=["企业"], limit=5)
    assert hits and {h["label"] for h in hits} == {"Enterprise"}
    assert set(hits[0]) == {"label", "label_zh", "key", "id", "caption", "score", "matched",
                            "snippet"}
    assert hits[0]["label_zh"] == "企业"
    mixed = search(store, "医疗影像", limit=50)
    assert {"Patent", "Enterprise"} <= {h["label"] for h in mixed}
    assert len(search(store, "医疗", types=["Patent"], limit=3)) == 3


@pytest.mark.parametrize("q", ["", "   ", "的"])
def test_empty_query_is_input_error(store, q) -> None:
    if q == "的":  # only a stop word: valid query, nothing to find
        assert search(store, q) == [] or all(h["matched"] == [] for h in search(store, q))
        return
    with pytest.raises(InputError):
        search(store, q)


def test_unknown_type_is_input_error(store) -> None:
    with pytest.raises(InputError) as err:
        search(store, "风力", types=["飞船"])
    assert "飞船" in err.value.message_zh


def test_name_substring_search_sees_new_names_after_a_load(falkor_store) -> None:
    """Names of substring-searched labels are kept per data version: a load (which bumps the
    version) makes the next search see the new names, without a restart."""
    from graph.version import bump_version

    falkor_store.ensure_schema()
    falkor_store.write("CREATE (:Industry {industry_id: 'I1', name: '高端装备制造'}), "
                       "(:Institute {org_key: 'K1', name: '天津某某研究所'})")
    bump_version(falkor_store, source="load")
    found = {(h["label"], h["key"]) for h in search(falkor_store, "装备")}
    assert ("Industry", "I1") in found
    falkor_store.write("CREATE (:Industry {industry_id: 'I2', name: '海洋装备'})")
    bump_version(falkor_store, source="load")
    found = {(h["label"], h["key"]) for h in search(falkor_store, "装备")}
    assert {("Industry", "I1"), ("Industry", "I2")} <= found


def test_name_substring_hits_are_the_names_containing_the_query(falkor_store) -> None:
    """The substring step finds every name containing the query (case-insensitive), never a
    match across two neighbouring names, and reads the hits' current properties."""
    from graph.version import bump_version

    falkor_store.ensure_schema()
    names = ["海洋装备", "高端装备制造", "ABC装备", "新材料", "装备", "料新能源", "生物医药"]
    falkor_store.write_batches(
        "UNWIND $rows AS r CREATE (:Industry {industry_id: r.k, name: r.n})",
        [{"k": f"I{i}", "n": n} for i, n in enumerate(names)] + [{"k": "I_NONAME", "n": None}])
    bump_version(falkor_store, source="load")
    read_names(falkor_store)  # what a serving process may do ahead of the first search
    for q in ("装备", "abc", "ABC装", "新", "材料新", "料新", "药", "海洋装备", "备新"):
        expected = {f"I{i}" for i, n in enumerate(names) if q.lower() in n.lower()}
        hits = search(falkor_store, q, types=["产业"], limit=50)
        assert {h["key"] for h in hits} == expected, q
        assert all(h["caption"] == names[int(h["key"][1:])] for h in hits)


def test_fulltext_ranked_within_the_first_matches(falkor_store) -> None:
    """rank_within=N sorts the first N matches by score: with every match inside N the answer
    is the fully ranked one; with N below the matches it stays within the limit."""
    falkor_store.ensure_schema()
    falkor_store.write_batches(
        "UNWIND $rows AS r CREATE (:Patent {app_no: r.a, title: r.t})",
        [{"a": f"A{i:03d}", "t": "电池" * (1 + i % 5) + "一种装置"} for i in range(40)])
    full = falkor_store.fulltext("Patent", ["电池"], limit=10, properties=("app_no",))
    within = falkor_store.fulltext("Patent", ["电池"], limit=10, properties=("app_no",),
                                   rank_within=1_000)
    assert [h.score for h in within] == [h.score for h in full]
    assert {h.node["app_no"] for h in within} == {h.node["app_no"] for h in full}
    few = falkor_store.fulltext("Patent", ["电池"], limit=10, rank_within=5)
    assert len(few) == 5 and [h.score for h in few] == sorted((h.score for h in few),
                                                              reverse=True)


def test_search_refuses_and_search_partial_answers_while_an_index_is_built(
        store, patents) -> None:
    """``search`` refuses while the patents' full-text index is missing or being built (its
    answer would silently lack every text match); ``search_partial`` answers from keys and
    names and names the label it could not search."""
    from patentkg.errors import IndexBuilding
    from queries.search import search_partial

    app_no = patents["app_no"].iloc[7]
    store.write("CALL db.idx.fulltext.drop('Patent')")
    try:
        with pytest.raises(IndexBuilding) as err:
            search(store, "风力发电")
        assert err.value.details["label"] == "Patent"
        result = search_partial(store, "风力发电")
        assert result.building == {"Patent": "missing"} and result.hits == []
        named = search_partial(store, "河东风电")  # an enterprise's name, by its own index
        assert [h["key"] for h in named.hits] == ["91120102MA05XXXX1A"]
        keyed = search_partial(store, app_no)
        assert [h["key"] for h in keyed.hits] == [app_no]
        assert keyed.building == {"Patent": "missing"}
    finally:
        store.ensure_schema()
    expected = set(patents.loc[(patents["title"] + patents["abstract"]).str.contains("风力发电"),
                               "app_no"])
    assert {h["key"] for h in search(store, "风力发电", types=["Patent"], limit=200)} == expected
