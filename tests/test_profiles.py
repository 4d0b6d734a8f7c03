import pytest

from genomics_hybrid.datasets import available
from genomics_hybrid.profiles import ProfileError, load_profile, profile_names


def test_profiles_exist_and_name_known_datasets():
    assert profile_names() == ["smoke", "default", "full"]
    for name in profile_names():
        profile = load_profile(name)
        assert profile["name"] == name and isinstance(profile["seed"], int)
        assert profile["datasets"], name
        for entry in profile["datasets"]:
            assert entry["name"] in available()
            assert entry["source"] in ("auto", "real", "replica")


def test_default_profile_is_the_books_datasets():
    datasets = load_profile("default")["datasets"]
    assert [(d["name"], d["source"]) for d in datasets] == [
        ("gse72056", "replica"), ("tcga_brca", "replica"), ("encsr000aed", "replica"),
        ("pbmc68k", "real"), ("gse7390", "real"), ("tcga_brca_subset", "real"),
        ("singh", "real"), ("chowdary", "real"), ("alon", "real")]


def test_load_profile_returns_a_copy():
    load_profile("default")["datasets"].clear()
    assert load_profile("default")["datasets"]


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(ProfileError, match=r"Unknown profile 'defualt'.*Did you mean 'default'.*"
                                           r"smoke, default, full"):
        load_profile("defualt")


def test_bad_source_is_refused(tmp_path):
    path = tmp_path / "profiles.yml"
    path.write_text("p:\n  datasets:\n    - {name: gse7390, source: fake}\n")
    with pytest.raises(ProfileError, match="source 'fake'"):
        load_profile("p", path=path)
