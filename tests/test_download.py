"""Downloads from a local server that speaks HTTP Range: resume, checksums, errors, CLI."""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

import real_formats
from genomics_hybrid.datasets import DataError, download as download_module, load
from genomics_hybrid.datasets.__main__ import main
from genomics_hybrid.datasets.download import download, partial_path, select_quantifications
from genomics_hybrid.datasets.real import ENCODE_PROMOTERS, GSE72056_FILE, XENA_FILE

PAYLOAD = bytes(range(256)) * 400  # 100 KiB, several download chunks


class FileServer:
    """Serves ``files`` (path -> bytes) on 127.0.0.1, honouring ``Range: bytes=N-``.

    ``ignore_range`` makes it answer 200 with the whole body, as servers without Range support do.

    Records every request's path and Range header, and counts the body bytes it sent.
    ``cut_after`` bytes into a body it drops the connection, as a failing network would.
    """

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.ignore_range = False
        self.cut_after: int | None = None
        self.requests: list[tuple[str, str | None]] = []
        self.bytes_served = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}{path}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = urlsplit(self.path).path
                asked = self.headers.get("Range")
                server.requests.append((path, asked))
                body = server.files.get(path)
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                if asked and not server.ignore_range:
                    start = int(asked.removeprefix("bytes=").split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                sent = body[start:][: server.cut_after]
                # counted before writing: the client may read the last byte, and the test check
                # the count, before this thread runs again (a race seen on loaded CI cores)
                server.bytes_served += len(sent)
                self.wfile.write(sent)

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def server():
    served = FileServer({"/gse.txt.gz": PAYLOAD})
    yield served
    served.close()


def _download_gse(server, **options):
    return download("gse72056", urls={GSE72056_FILE: server.url("/gse.txt.gz")}, progress=False,
                    **options)


def _recorded(home) -> dict:
    return json.loads((home / "checksums.json").read_text())


def test_full_download_records_checksum(server, data_home):
    [path] = _download_gse(server)
    assert path == data_home / "gse72056" / GSE72056_FILE
    assert path.read_bytes() == PAYLOAD
    key = f"gse72056/{GSE72056_FILE}"
    assert _recorded(data_home) == {key: hashlib.sha256(PAYLOAD).hexdigest()}
    assert not partial_path(path).exists()


def test_existing_part_file_is_completed_with_a_range_request(server, data_home):
    target = data_home / "gse72056" / GSE72056_FILE
    target.parent.mkdir(parents=True)
    partial_path(target).write_bytes(PAYLOAD[:30_000])
    _download_gse(server)
    assert server.requests == [("/gse.txt.gz", "bytes=30000-")]
    assert server.bytes_served == len(PAYLOAD) - 30_000
    assert target.read_bytes() == PAYLOAD
    assert not partial_path(target).exists()


def test_dropped_connection_keeps_the_part_and_the_next_run_resumes(server, data_home):
    server.cut_after = 80_000
    with pytest.raises(DataError, match="gse72056"):
        _download_gse(server)
    target = data_home / "gse72056" / GSE72056_FILE
    assert not target.exists()
    kept = partial_path(target).stat().st_size  # whole chunks received before the drop
    assert 0 < kept <= 80_000
    server.cut_after = None
    _download_gse(server)
    assert server.requests[-1] == ("/gse.txt.gz", f"bytes={kept}-")
    assert target.read_bytes() == PAYLOAD


def test_complete_part_file_is_finished_without_transferring_bytes(server, data_home):
    target = data_home / "gse72056" / GSE72056_FILE
    target.parent.mkdir(parents=True)
    partial_path(target).write_bytes(PAYLOAD)  # interrupted after the last byte arrived
    _download_gse(server)
    assert server.requests == [("/gse.txt.gz", f"bytes={len(PAYLOAD)}-")]
    assert server.bytes_served == 0
    assert target.read_bytes() == PAYLOAD


def test_server_ignoring_range_still_gives_the_right_file(server, data_home):
    server.ignore_range = True
    target = data_home / "gse72056" / GSE72056_FILE
    target.parent.mkdir(parents=True)
    partial_path(target).write_bytes(b"stale bytes that must not stay in front")
    _download_gse(server)
    assert target.read_bytes() == PAYLOAD


def test_recorded_checksum_mismatch_names_the_file(server, data_home):
    key = f"gse72056/{GSE72056_FILE}"
    (data_home / "checksums.json").write_text(json.dumps({key: "0" * 64}))
    with pytest.raises(DataError, match="Checksum mismatch") as caught:
        _download_gse(server)
    assert GSE72056_FILE in str(caught.value) and "download again" in str(caught.value)
    assert not (data_home / key).exists()
    assert not partial_path(data_home / key).exists()


def test_present_verified_file_is_not_downloaded_again(server, data_home):
    _download_gse(server)
    server.requests.clear()
    assert _download_gse(server) == [data_home / "gse72056" / GSE72056_FILE]
    assert server.requests == []


def test_unreachable_server_says_where_to_place_the_file(data_home):
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DataError, match="network") as caught:
        download("tcga_brca", urls={XENA_FILE: f"http://127.0.0.1:{port}/HiSeqV2.gz"},
                 progress=False)
    assert str(data_home / "tcga_brca" / XENA_FILE) in str(caught.value)


def test_bundled_and_unknown_datasets_are_refused(data_home):
    with pytest.raises(DataError, match="nothing to download"):
        download("gse7390")
    with pytest.raises(DataError, match="tcga_brca"):
        download("tcga-brca")


def _quant(accession, replicate, assembly="GRCh38", annotation="V29", created="2020-01-01",
           **extra):
    return {"accession": accession, "biological_replicates": [replicate], "assembly": assembly,
            "genome_annotation": annotation, "date_created": created, "status": "released",
            "output_type": "gene quantifications", "file_format": "tsv",
            "href": f"/files/{accession}/@@download/{accession}.tsv", "md5sum": "0" * 32, **extra}


def test_select_quantifications_takes_two_replicates_preferring_grch38_then_newest():
    listing = {"@graph": [
        _quant("ENCFFHG1", 1, "hg19", "V19", "2024-01-01"),
        _quant("ENCFFHG2", 2, "hg19", "V19", "2024-01-01"),
        _quant("ENCFFOLD", 1, created="2017-05-01"),
        _quant("ENCFFNEW", 1, created="2021-03-01"),
        _quant("ENCFFR2", 2),
        _quant("ENCFFPOOL", 1, biological_replicates=[1, 2]),
        _quant("ENCFFREV", 2, created="2025-01-01", status="revoked"),
        _quant("ENCFFT", 2, created="2025-01-01", output_type="transcript quantifications"),
    ]}
    assert [f["accession"] for f in select_quantifications(listing)] == ["ENCFFNEW", "ENCFFR2"]


def test_select_quantifications_without_two_replicates_says_what_to_do():
    with pytest.raises(DataError, match="by hand"):
        select_quantifications({"@graph": [_quant("ENCFF1", 1), _quant("ENCFF2", 1)]})


def test_encode_download_checks_md5_gzips_promoters_and_loads(data_home, tmp_path, monkeypatch):
    rep1 = {"ENSG00000000003.14": 12.0, "ENSG00000000005.5": 0.0, "ENSG00000000419.12": 50.0}
    rep2 = {"ENSG00000000003.14": 9.0, "ENSG00000000005.5": 0.02, "ENSG00000000419.12": 0.08}
    tsvs = [real_formats.write_rsem_genes(tmp_path / f"rep{i}.tsv", rep).read_bytes()
            for i, rep in enumerate((rep1, rep2), 1)]
    fasta = b">ENSG00000000003\n" + b"ACGTACGTAC" * 8 + b"\n>ENSG00000000005\nAAAAAAAAAACCCC\n"
    listing = {"@graph": [
        _quant(f"ENCFFAA{i}", i, md5sum=hashlib.md5(tsv).hexdigest())
        for i, tsv in enumerate(tsvs, 1)]}
    files = {"/search/": json.dumps(listing).encode(), "/biomart": fasta,
             **{f"/files/ENCFFAA{i}/@@download/ENCFFAA{i}.tsv": tsv
                for i, tsv in enumerate(tsvs, 1)}}
    served = FileServer(files)
    try:
        monkeypatch.setattr(download_module, "ENCODE_PORTAL", served.url(""))
        paths = download("encsr000aed", urls={ENCODE_PROMOTERS: served.url("/biomart")},
                         progress=False)
        folder = data_home / "encsr000aed"
        assert paths == [folder / "quantifications/ENCFFAA1.tsv",
                         folder / "quantifications/ENCFFAA2.tsv", folder / ENCODE_PROMOTERS]
        assert gzip.decompress(paths[-1].read_bytes()) == fasta
        assert not (folder / "promoters_upstream1000.fa").exists()
        assert set(_recorded(data_home)) == {f"encsr000aed/{p.relative_to(folder).as_posix()}"
                                             for p in paths}
        dataset = load("encsr000aed", source="real")
        assert list(dataset.sample_ids) == ["ENSG00000000003", "ENSG00000000005"]

        served.requests.clear()
        download("encsr000aed", progress=False)
        assert served.requests == []  # everything present and verified: not even the portal

        (folder / "quantifications/ENCFFAA2.tsv").unlink()
        served.files["/files/ENCFFAA2/@@download/ENCFFAA2.tsv"] = b"corrupted in transit"
        with pytest.raises(DataError, match="ENCFFAA2.tsv"):
            download("encsr000aed", progress=False)
    finally:
        served.close()


def test_cli_list_and_info(data_home, capsys):
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert str(data_home) in listing
    assert all(name in listing for name in ("gse72056", "tcga_brca", "encsr000aed", "gse7390"))
    assert main(["info", "gse7390"]) == 0
    assert "n_samples          198" in capsys.readouterr().out


def test_cli_data_error_exits_2_with_a_message(data_home, capsys):
    assert main(["download", "nosuchset"]) == 2
    err = capsys.readouterr().err
    assert "Unknown dataset 'nosuchset'" in err and "Known datasets" in err
    assert "Traceback" not in err


def test_cli_runs_as_a_module(data_home):
    done = subprocess.run([sys.executable, "-m", "genomics_hybrid.datasets", "download",
                           "pbmc68k"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "nothing to download" in done.stderr and "Traceback" not in done.stderr
