import gzip
import json

import pytest

from textcluster import Document, InputError, read_corpus


def test_jsonl_fields_and_restartable(demo_path):
    corpus = read_corpus(demo_path)
    first = list(corpus)
    second = list(corpus)
    assert len(first) == 480 and first == second
    assert first[0].id == "d0001" and first[0].label is not None


def test_txt_one_doc_per_line_skips_blank_lines_ids_are_line_numbers(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("alpha beta\n\ngamma\n \t\ndelta\n", encoding="utf-8")
    corpus = read_corpus(p)
    docs = list(corpus)
    assert [d.text for d in docs] == ["alpha beta", "gamma", "delta"] and corpus.n_blank == 2
    assert [d.id for d in docs] == ["1", "3", "5"] and docs[0].label is None
    assert list(corpus) == docs and corpus.n_blank == 2  # counted per pass


def test_jsonl_gz_custom_fields(tmp_path):
    p = tmp_path / "c.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as fh:
        for i in range(3):
            fh.write(json.dumps({"key": f"k{i}", "body": f"text {i}", "topic": "t"}) + "\n")
    docs = list(read_corpus(p, text_field="body", label_field="topic", id_field="key"))
    assert docs[2] == Document("k2", "text 2", "t")


def test_csv_and_missing_column(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text('id,text,label\n1,"hello, world",a\n2,second,b\n', encoding="utf-8")
    docs = list(read_corpus(p))
    assert docs[0] == Document("1", "hello, world", "a")
    with pytest.raises(InputError, match="no column 'body'"):
        list(read_corpus(p, text_field="body"))


def test_directory_labels_from_subfolders(tmp_path):
    for label in ("sport", "space"):
        (tmp_path / label).mkdir()
        (tmp_path / label / "a.txt").write_text(f"a {label} story", encoding="utf-8")
    docs = list(read_corpus(tmp_path))
    assert [(d.id, d.label) for d in docs] == [("space/a.txt", "space"), ("sport/a.txt", "sport")]


@pytest.mark.parametrize("content, message", [
    (b"", "no documents"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
    (b'{"text": "ok"}\n{"text": "caf\xe9"}\n', "line 2: invalid UTF-8"),
    (b'{"text": "ok"}\nnot json\n', "line 2: not valid JSON"),
    (b'{"body": "x"}\n', "no field 'text'"),
    (b'[1, 2]\n', "expected a JSON object"),
])
def test_bad_jsonl_inputs(tmp_path, content, message):
    p = tmp_path / "bad.jsonl"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        list(read_corpus(p, encoding_errors="strict"))  # the default, "replace", warns instead


def test_invalid_utf8_replace_counts(tmp_path):
    p = tmp_path / "c.txt"
    p.write_bytes(b"good\ncaf\xe9\n")
    corpus = read_corpus(p, encoding_errors="replace")
    docs = list(corpus)
    assert docs[1].text == "caf\ufffd" and corpus.n_replaced == 1


def test_missing_path():
    with pytest.raises(InputError, match="not found"):
        read_corpus("/nonexistent/corpus.txt")


def test_truncated_gzip(tmp_path):
    p = tmp_path / "c.jsonl.gz"
    blob = gzip.compress(b"".join(json.dumps({"text": "x" * 50 + str(i)}).encode() + b"\n" for i in range(500)))
    p.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(InputError, match="truncated"):
        list(read_corpus(p))
