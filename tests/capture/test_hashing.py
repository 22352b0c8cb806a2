"""Hashing: equals hashlib, cached by file identity, FITS checksums reused, policy per role and size."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from provarchive.capture.hashing import HashCache, HashingWriter, HashPolicy, fits_checksums, hash_file


def test_hash_file_matches_hashlib_and_is_cached(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    payload = os.urandom(3 * 1024 * 1024 + 17)
    path.write_bytes(payload)
    old = time.time() - 60
    os.utime(path, (old, old))  # not "racy": old enough to cache
    cache = HashCache(str(tmp_path / "cache.jsonl"))
    assert hash_file(path, cache=cache) == hashlib.sha256(payload).hexdigest()
    assert hash_file(path, "md5", cache=False) == hashlib.md5(payload).hexdigest()
    reloaded = HashCache(str(tmp_path / "cache.jsonl"))
    assert reloaded.get(path.stat(), "sha256") == hashlib.sha256(payload).hexdigest()
    # a changed file (new size and mtime) is a cache miss
    path.write_bytes(b"other")
    assert hash_file(path, cache=reloaded) == hashlib.sha256(b"other").hexdigest()


def test_recently_modified_files_are_not_cached(tmp_path: Path) -> None:
    path = tmp_path / "fresh.bin"
    path.write_bytes(b"x")
    cache = HashCache(str(tmp_path / "cache.jsonl"))
    hash_file(path, cache=cache)
    assert cache.get(path.stat(), "sha256") is None


def test_hashing_writer(tmp_path: Path) -> None:
    seen = []
    writer = HashingWriter(tmp_path / "o.bin", on_close=lambda p, d, st: seen.append((p, d, st.st_size)))
    writer.write(b"abc")
    writer.write(memoryview(b"def"))
    writer.close()
    assert seen == [(str(tmp_path / "o.bin"), hashlib.sha256(b"abcdef").hexdigest(), 6)]
    assert (tmp_path / "o.bin").read_bytes() == b"abcdef"


def test_policy() -> None:
    policy = HashPolicy("full", by_role={"calibration": "stat"}, max_full_bytes=100)
    assert policy.mode_for("raw", 10) == "full"
    assert policy.mode_for("raw", 1000) == "deferred"
    assert policy.mode_for("calibration", 10) == "stat"
    with pytest.raises(ValueError, match="hash mode"):
        HashPolicy("sometimes")
    with pytest.raises(ValueError):
        HashPolicy(algorithm="no-such-algorithm")


def test_fits_datasum_and_checksum_are_read_from_every_hdu(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    fits = pytest.importorskip("astropy.io.fits")
    path = tmp_path / "image.fits"
    hdus = fits.HDUList([fits.PrimaryHDU(np.arange(100, dtype="i4")), fits.ImageHDU(np.ones((10, 10)))])
    hdus.writeto(path, checksum=True)
    with fits.open(path) as opened:
        expected = [h.header["DATASUM"] for h in opened]
    found = fits_checksums(path)
    assert [f["datasum"] for f in found] == expected
    assert [f["hdu"] for f in found] == ["0", "1"]
    assert all(len(f["checksum"]) == 16 for f in found)
    (tmp_path / "plain.fits").write_bytes(b"not fits at all")
    assert fits_checksums(tmp_path / "plain.fits") == []

    from provarchive.capture import activity
    from provarchive.capture.spool import compile_spool

    with activity("read", spool=tmp_path / "s.jsonl", hash="stat") as act:
        entity_id = act.used(path, role="image")
    entity = compile_spool(tmp_path / "s.jsonl")[entity_id]
    assert entity.attribute("pa:hashStatus") == "stat"
    assert entity.attribute_values("pa:fitsDatasum") == [f"HDU {i}: {d}" for i, d in enumerate(expected)]


def test_cache_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from provarchive.capture.hashing import default_cache_path

    monkeypatch.setenv("PROVARCHIVE_DATA_DIR", str(tmp_path / "data"))
    assert default_cache_path() == str(tmp_path / "data" / "hash-cache.jsonl")
    monkeypatch.setenv("PROVARCHIVE_SPOOL", str(tmp_path / "job" / "capture.spool"))
    assert default_cache_path() == str(tmp_path / "data" / "hash-cache.jsonl")  # an explicit data dir wins
    monkeypatch.delenv("PROVARCHIVE_DATA_DIR")
    assert default_cache_path() == str(tmp_path / "job" / "hash-cache.jsonl")  # inside a job: beside its spool
