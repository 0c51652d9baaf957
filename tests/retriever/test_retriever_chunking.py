"""Each chunker on small inputs, with the exact line ranges it must produce."""

from __future__ import annotations

import textwrap

import pytest

from agentkit_retriever.chunking import HARD_MAX_CHARS, ChunkError, chunk_document
from agentkit_retriever.chunking.base import Chunk, limit_size


def chunks_of(name: str, text: str, **options) -> list[tuple[str, str, int, int]]:
    source = textwrap.dedent(text).lstrip("\n")
    return [
        (c.kind, c.title, c.start_line, c.end_line)
        for c in chunk_document(name, source, **options).chunks
    ]


def texts_of(name: str, text: str, **options) -> list[str]:
    return [
        c.text for c in chunk_document(name, textwrap.dedent(text).lstrip("\n"), **options).chunks
    ]


MARKDOWN = """
    Text before any heading.

    # Install

    Run pip.

    ```sh
    # a comment, not a heading
    pip install agentkit
    ```

    ## From source

    Clone the repository.

    # Usage
    ## Searching

    Use agentkit index search.
    """


def test_markdown_sections_carry_their_heading_path_and_lines():
    assert chunks_of("guide.md", MARKDOWN) == [
        ("section", "", 1, 1),
        ("section", "Install", 3, 10),
        ("section", "Install > From source", 12, 14),
        # "# Usage" has no text of its own: it lives on in its subsection's title.
        ("section", "Usage > Searching", 17, 19),
    ]


def test_markdown_fenced_hash_lines_stay_inside_their_section():
    install = texts_of("guide.markdown", MARKDOWN)[1]
    assert "# a comment, not a heading" in install and install.startswith("# Install")


def test_markdown_long_section_is_cut_by_paragraph_under_the_same_title():
    paragraphs = "\n\n".join(f"Paragraph {i} " + "word " * 100 for i in range(6))
    chunks = chunk_document("long.md", f"# Big\n\n{paragraphs}\n").chunks
    assert len(chunks) > 1 and {c.title for c in chunks} == {"Big"}
    assert all(len(c.text) <= 1500 for c in chunks)
    assert chunks[0].start_line == 1 and chunks[-1].end_line == 13


def test_text_paragraphs_merge_when_tiny_and_keep_line_ranges():
    text = (
        """
        Short one.

        Short two.

        """
        + "A long paragraph line. " * 12
        + """
        continues on a second line.


        """
        + "Another long paragraph. " * 12
        + "\n"
    )
    assert chunks_of("notes.txt", text) == [
        ("paragraph", "", 1, 6),  # the two short ones merged into the next
        ("paragraph", "", 9, 9),
    ]


def test_text_huge_paragraph_is_cut_at_line_ends():
    lines = [f"line {i:02} " + "x" * 90 for i in range(40)]  # 99 characters with the newline
    chunks = chunk_document("big.txt", "\n".join(lines)).chunks
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 15), (16, 30), (31, 40)]
    assert chunks[1].text.split("\n")[0] == lines[15] and len(chunks[0].text) <= 1500


def test_unknown_suffix_is_chunked_as_text():
    assert chunks_of("data.csv", "a,b\n1,2\n") == [("paragraph", "", 1, 2)]


PYTHON = '''
    """The module docstring."""

    import os
    from pathlib import Path

    LIMIT = 3


    # Explains why f exists.
    @decorator
    def f(x):
        return x


    async def g():
        pass


    class Thing:
        """A thing."""

        def method(self):
            return 1

    if __name__ == "__main__":
        f(1)
    '''


def test_python_chunks_by_top_level_definition():
    assert chunks_of("mod.py", PYTHON) == [
        ("module", "module docstring and imports", 1, 6),
        ("function", "def f", 9, 12),  # from the comment above, over the decorator
        ("function", "def g", 15, 16),
        ("class", "class Thing", 19, 23),
        ("module", "module-level code", 25, 26),
    ]


def test_python_large_class_is_split_into_methods():
    methods = "\n".join(
        f"    def method_{i}(self):\n        return {'x' * 400!r}\n" for i in range(10)
    )
    source = f'class Big:\n    """Doc."""\n\n    size = 1\n\n{methods}'
    chunks = chunk_document("big.py", source).chunks
    assert [c.title for c in chunks[:3]] == ["class Big", "class Big", "def Big.method_0"]
    assert (chunks[0].start_line, chunks[0].end_line) == (1, 2)
    assert (chunks[1].start_line, chunks[1].end_line) == (4, 4)
    assert (chunks[2].kind, chunks[2].start_line, chunks[2].end_line) == ("method", 6, 7)
    assert chunks[-1].title == "def Big.method_9"


def test_python_that_does_not_parse_is_chunked_as_text():
    assert chunks_of("broken.py", "def f(:\n    pass\n") == [("paragraph", "", 1, 2)]


COQ = """
    Require Import Arith.
    Open Scope nat_scope.

    (** Addition commutes. A comment with a period. inside *)
    Lemma add_comm' : forall n m : nat, n + m = m + n.
    Proof.
      intros n m.
      - apply Nat.add_comm.
    Qed.

    Definition double (n : nat) := n + n.

    Fixpoint count (n : nat) : nat :=
      match n with 0 => 0 | S k => S (count k) end.

    Definition answer : nat.
    Proof. exact 42. Defined.

    Notation "x ++ y" := (x + y) (at level 60).

    Local Theorem unfinished : 1 = 1.
    Proof.
      reflexivity.
    """


def test_coq_definitions_run_to_the_end_of_their_proof():
    assert chunks_of("arith.v", COQ) == [
        ("vernacular", "Require Import Arith.", 1, 2),
        ("definition", "Lemma add_comm'", 4, 9),  # with the comment above it
        ("definition", "Definition double", 11, 11),
        ("definition", "Fixpoint count", 13, 14),
        ("definition", "Definition answer", 16, 17),
        ("definition", 'Notation "x', 19, 19),
        ("definition", "Theorem unfinished", 21, 23),  # no Qed: runs to the end
    ]


def test_coq_periods_in_strings_and_qualified_names_do_not_end_sentences():
    source = 'Definition s := "a. b".\nLemma l : Nat.add 1 1 = 2.\nProof. reflexivity. Qed.\n'
    assert chunks_of("s.v", source) == [
        ("definition", "Definition s", 1, 1),
        ("definition", "Lemma l", 2, 3),
    ]


JSONL = """
    {"id": "a1", "question": "What is 2+2?", "answer": "4"}

    {"id": "a2", "question": "Capital of France?", "answer": "Paris"}
    not json at all
    {"id": "a3", "answer": "no question here"}
    """


def test_jsonl_one_chunk_per_record_with_metadata():
    chunked = chunk_document("qa.jsonl", textwrap.dedent(JSONL).lstrip("\n"), field="question")
    assert [(c.title, c.start_line, c.end_line, c.text) for c in chunked.chunks] == [
        ("a1", 1, 1, "What is 2+2?"),
        ("a2", 3, 3, "Capital of France?"),
    ]
    assert chunked.chunks[1].meta == {"id": "a2", "answer": "Paris"}
    assert chunked.chunking.endswith(":jsonl:question")
    [warning] = chunked.warnings
    assert "1 record(s) without 'question'" in warning and "1 line(s)" in warning


def test_jsonl_without_the_field_in_any_record_names_the_fields_it_has():
    with pytest.raises(
        ChunkError,
        match=r"no JSON record has the field 'body' \(fields seen: id, answer, question\)",
    ):
        chunk_document("qa.jsonl", textwrap.dedent(JSONL).lstrip("\n"), field="body")


def test_jsonl_non_string_field_values_are_stored_as_json():
    [chunk] = chunk_document("n.jsonl", '{"text": {"a": 1}, "name": "n"}\n').chunks
    assert chunk.text == '{"a": 1}' and chunk.title == "n"


def test_limit_size_pieces_cover_the_chunk_and_respect_the_limit():
    one_huge_line = "word " * 2000
    chunk = Chunk("paragraph", "t", 10, 12, f"first\n{one_huge_line}\nlast")
    pieces = limit_size(chunk)
    assert all(len(p.text) <= HARD_MAX_CHARS for p in pieces)
    assert pieces[0].start_line == 10 and pieces[-1].end_line == 12
    assert "".join(p.text.replace("\n", "") for p in pieces).count("word") == 2000
