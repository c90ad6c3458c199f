import json

import numpy as np
import pytest

from reprolab.core import data_files
from reprolab.cosmology import data


def test_releases_load_with_named_rows():
    dr1, dr2 = data.load_bao("DR1"), data.load_bao("DR2")
    assert len(dr1.value) == 12 and len(dr2.value) == 13
    assert dr1.bin_names == list(data.BINS) == dr2.bin_names
    assert list(dr1.kind[dr1.bins == "QSO"]) == ["DV"] and list(dr2.kind[dr2.bins == "QSO"]) == ["DM", "DH"]
    assert list(dr2.kind[dr2.bins == "Lya"]) == ["DH", "DM"]  # DR2 file order, read by name
    assert dr2.value[(dr2.bins == "Lya") & (dr2.kind == "DM")][0] == pytest.approx(38.989, abs=1e-3)


def test_select_and_drop():
    dr2 = data.load_bao("DR2")
    sub = dr2.select(["LRG1", "Lya"])
    assert sub.bin_names == ["LRG1", "Lya"] and sub.cov.shape == (4, 4)
    np.testing.assert_array_equal(sub.cov[:2, :2], dr2.cov[1:3, 1:3])
    assert "LRG2" not in dr2.select(drop=["LRG2"]).bin_names
    with pytest.raises(KeyError, match="unknown bin 'LRG4' in DR2; available: BGS, LRG1"):
        dr2.select(["LRG4"])


def test_split_lrg3_elg1():
    split = data.load_bao("DR2", split_lrg3_elg1=True)
    assert "LRG3+ELG1" not in split.bin_names and {"LRG3", "ELG1"} <= set(split.bin_names)
    elg1 = split.select(["ELG1"])
    corr = elg1.cov[0, 1] / np.sqrt(elg1.cov[0, 0] * elg1.cov[1, 1])
    assert corr == pytest.approx(-0.452) and elg1.z[0] == 0.955
    with pytest.raises(ValueError, match="DR2 only"):
        data.load_bao("DR1", split_lrg3_elg1=True)


def test_cmb_compressed():
    cmb = data.load_cmb_compressed()
    assert cmb.names == ("theta_star", "omega_b", "omega_bc") and cmb.mean[0] == pytest.approx(0.01041027)


def test_unknown_release():
    with pytest.raises(ValueError, match="allowed: DR1, DR2"):
        data.load_bao("DR3")


def write(tmp_path, mean, cov):
    (tmp_path / "m.csv").write_text(mean)
    (tmp_path / "c.csv").write_text(cov)
    return tmp_path / "m.csv", tmp_path / "c.csv"


GOOD = "bin,z_eff,quantity,value\nA,0.5,DM_over_rd,13.0\nA,0.5,DH_over_rd,21.0\n"


@pytest.mark.parametrize("mean,cov,message", [
    ("bin,z,quantity,value\nA,0.5,DM_over_rd,13\n", "1\n", r"lacks column\(s\) \['z_eff'\]"),
    ("bin,z_eff,quantity,value\nA,0.5,DA_over_rd,13\n", "1\n", "unknown quantity"),
    (GOOD, "1,0\n0,1\n0,0\n", r"shape \(3, 2\), expected \(2, 2\)"),
    (GOOD, "1,0.5\n0.4,1\n", "not symmetric"),
    (GOOD, "1,2\n2,1\n", "not positive definite"),
    ("bin,z_eff,quantity,value\nA,-0.5,DM_over_rd,13\n", "1\n", "must be positive"),
])
def test_malformed_files_fail_clearly(tmp_path, mean, cov, message):
    with pytest.raises(data.DataFileError, match=message):
        data.read_bao(*write(tmp_path, mean, cov), "test")


def test_shipped_files_are_pinned(tmp_path, monkeypatch):
    (tmp_path / "data" / "desi_bao").mkdir(parents=True)
    (tmp_path / "data" / "desi_bao" / "x.csv").write_text("a\n")
    (tmp_path / "data" / "manifest.json").write_text(json.dumps({"desi_bao/x.csv": {"sha256": "0" * 64}}))
    monkeypatch.setenv("REPROLAB_ROOT", str(tmp_path))
    with pytest.raises(ValueError, match="does not match its sha256"):
        data_files.data_file("desi_bao/x.csv")
    with pytest.raises(FileNotFoundError, match="missing"):
        data_files.data_file("desi_bao/y.csv")
