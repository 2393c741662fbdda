"""Repos of the emulator (:mod:`hfsecure_jupyter.emulator.repos`): trees, commits, payloads, seeds, rules."""

from __future__ import annotations

import base64
import json

import pytest

from hfsecure_jupyter.emulator import EmulatorServer, test_accounts
from hfsecure_jupyter.emulator.accounts import AccountsError, Accounts
from hfsecure_jupyter.emulator.repos import (RepoError, RepoStore, blob_id, check_path, parse_commit_ndjson,
                                             validate_seeds)


@pytest.fixture
def store():
    s = RepoStore()
    s.create("model", "a/m", files={"x.txt": b"x", "d/e/f.txt": b"f", "d/g.txt": b"g"}, author="a")
    return s


def test_tree_flat_recursive_and_sub_folder(store):
    repo = store.get("model", "a/m")
    flat = repo.tree(repo.head, "", recursive=False)
    assert [(e["type"], e["path"]) for e in flat] == [("file", ".gitattributes"), ("directory", "d"),
                                                       ("file", "x.txt")]
    deep = [e["path"] for e in repo.tree(repo.head, "", recursive=True)]
    assert deep == [".gitattributes", "d", "d/e", "d/e/f.txt", "d/g.txt", "x.txt"]
    assert [e["path"] for e in repo.tree(repo.head, "d", recursive=False)] == ["d/e", "d/g.txt"]
    assert repo.tree(repo.head, "nope", recursive=True) is None
    assert repo.tree(repo.head, "x.txt", recursive=False)[0]["oid"] == blob_id(b"x")


def test_commits_add_delete_and_history(store):
    repo = store.get("model", "a/m")
    first = repo.sha
    store.commit(repo, [("file", "y.txt", b"y"), ("deletedFolder", "d", None), ("deletedFile", "x.txt", None)],
                 summary="change", author="a")
    assert sorted(repo.files) == [".gitattributes", "y.txt"] and repo.head.parents == [first]
    assert repo.commit_at(first).files["x.txt"] == b"x" and repo.commit_at(first[:7]) is repo.commits[0]
    assert repo.commit_at("nope") is None
    with pytest.raises(RepoError) as exc:
        store.commit(repo, [("deletedFile", "x.txt", None)], summary="again", author="a")
    assert exc.value.code == "EntryNotFound"
    with pytest.raises(RepoError) as exc:
        store.commit(repo, [], summary="late", author="a", parent=first)
    assert exc.value.status == 412
    with pytest.raises(RepoError) as exc:
        store.create("model", "a/m")
    assert exc.value.status == 409


@pytest.mark.parametrize("path", ["/abs", "a/../b", "a//b", "./a", "a\nb", "", "x" * 1001, None, 3])
def test_bad_paths_are_refused(path):
    with pytest.raises(RepoError):
        check_path(path)


def _ndjson(*items) -> bytes:
    return b"\n".join(json.dumps(i).encode() for i in items)


@pytest.mark.parametrize("body,status", [
    (_ndjson({"key": "file", "value": {"path": "a", "content": "aGk=", "encoding": "base64"}}), 400),  # no header
    (_ndjson({"key": "header", "value": {"summary": "s"}},
             {"key": "lfsFile", "value": {"path": "a", "algo": "sha256", "oid": "0" * 64}}), 501),
    (_ndjson({"key": "header", "value": {"summary": "s"}},
             {"key": "file", "value": {"path": "a", "content": "!!", "encoding": "base64"}}), 400),
    (_ndjson({"key": "header", "value": {"summary": "s"}}, {"key": "what", "value": {}}), 400),
    (b"[" * 100_000, 400),
    (b"\xff", 400),
])
def test_bad_commit_payloads(body, status):
    with pytest.raises(RepoError) as exc:
        parse_commit_ndjson(body)
    assert exc.value.status == status


def test_a_good_commit_payload():
    body = _ndjson({"key": "header", "value": {"summary": "s", "description": "d"}},
                   {"key": "file", "value": {"path": "a/b.txt", "content": base64.b64encode(b"hi").decode(),
                                             "encoding": "base64"}},
                   {"key": "deletedFile", "value": {"path": "old.txt"}})
    assert parse_commit_ndjson(body) == ({"summary": "s", "description": "d"},
                                         [("file", "a/b.txt", b"hi"), ("deletedFile", "old.txt", None)])


@pytest.mark.parametrize("seeds,needle", [
    ([{"id": "nons"}], "namespace/name"), ([{"id": "a/b", "type": "kernel"}], "type must be"),
    ([{"id": "a/b", "gated": "maybe"}], "gated"), ([{"id": "a/b", "files": {"../x": "y"}}], "Invalid path"),
    ([{"id": "a/b", "files": {"x": 1}}], "must be a string"), (["a/b"], "object"),
])
def test_bad_seeds_are_one_line_errors(seeds, needle):
    with pytest.raises(ValueError, match=needle):
        validate_seeds(seeds)
    accounts = dict(test_accounts(), repos=seeds)
    with pytest.raises(AccountsError, match=needle):
        EmulatorServer(accounts)


def test_write_rules_by_token_kind():
    accounts = Accounts.from_dict(test_accounts())
    store = RepoStore.from_seeds(test_accounts()["repos"])
    u = accounts.users
    assert store.check_write("alice/x", "model", u["alice"], u["alice"].tokens[0]) is None
    assert store.check_write("acme/x", "dataset", u["alice"], u["alice"].tokens[0]) is None  # org admin
    assert store.check_write("carol/x", "model", u["carol"], u["carol"].tokens[0]) is None  # repo.write on carol
    for user, repo_id in (("bob", "bob/x"), ("dave", "dave/x"), ("carol", "acme/private-model"), ("alice", "bob/x")):
        denied = store.check_write(repo_id, "model", u[user], u[user].tokens[0])
        assert denied is not None and denied.status == 403, (user, repo_id)
