import pytest

from sentemb.data.errors import DataFormatError
from sentemb.data.text_reader import read_text_lines


def test_empty_and_blank_lines_are_dropped_and_counted(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("\ufeffFirst line.\n\n   \nSecond line.  \n\t\nThird.".encode())
    lines = read_text_lines(path)
    assert lines.sentences == ["First line.", "Second line.", "Third."]
    assert lines.dropped_empty == 3


def test_max_lines_reads_a_prefix(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("a\nb\nc\nd\n")
    assert read_text_lines(path, max_lines=2).sentences == ["a", "b"]


def test_invalid_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"fine\nalso fine\nbroken \xff\xfe here\n")
    with pytest.raises(DataFormatError, match=r"bad.txt:3: expected UTF-8 text"):
        read_text_lines(path)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        read_text_lines(tmp_path / "nope.txt")
    (tmp_path / "e.txt").write_text("\n \n")
    with pytest.raises(ValueError, match="no non-empty line"):
        read_text_lines(tmp_path / "e.txt")
