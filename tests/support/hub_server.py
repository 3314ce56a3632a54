#!/usr/bin/env python3
"""A local stand-in for the Hugging Face hub, for the download tests.

Serves model folders in the hub's URL layout, {host}/{repo_id}/resolve/{revision}/{path}:
  - HEAD/GET answer with X-Repo-Commit and an ETag (git blob sha1 of the file, weak
    for files in subfolders, as a normalisation check); 404 + X-Error-Code:
    EntryNotFound for a missing file, RevisionNotFound / RepositoryNotFound otherwise;
  - *.safetensors are "LFS" files: 302 to http://localhost:<port>/cdn/<sha256> (another host) with
    X-Linked-Etag (sha256), X-Linked-Size and X-Repo-Commit, as the real hub does;
  - --private REPO answers 401 unless "Authorization: Bearer <--token>" is sent;
  - --truncate REPO makes its CDN downloads stop halfway (an interrupted download);
  - --rename OLD=NEW answers OLD's requests with a relative 307 to NEW (a renamed repo);
  - GET /_log returns the requests seen so far as JSON [{method, path, authorization}].
Repos: every folder under --root as "embetter-test/<folder>", plus --repo ID=FOLDER.
Prints "PORT <n>" on stdout once listening on 127.0.0.1; exits when stdin closes.
"""
import argparse
import hashlib
import json
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Repo:
    def __init__(self, repo_id, folder):
        self.repo_id = repo_id
        self.files = {}  # relative path -> bytes
        for base, _dirs, names in os.walk(folder):
            for name in names:
                full = os.path.join(base, name)
                rel = os.path.relpath(full, folder).replace(os.sep, "/")
                with open(full, "rb") as f:
                    self.files[rel] = f.read()
        listing = "".join(f"{p}\0{git_sha1(d)}\n" for p, d in sorted(self.files.items()))
        self.commit = hashlib.sha1(listing.encode()).hexdigest()


def git_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_lfs(path):
    return path.endswith(".safetensors") or path.endswith(".bin")


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-hub/1.0"

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.handle_request(send_body=False)

    def do_GET(self):
        self.handle_request(send_body=True)

    def reply(self, status, headers=(), body=b"", send_body=True, truncate=False):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body[: len(body) // 2] if truncate else body)
            self.wfile.flush()
        if truncate:
            self.close_connection = True

    def handle_request(self, send_body):
        cfg = self.server.cfg
        path = urllib.parse.urlsplit(self.path).path
        with cfg["lock"]:
            cfg["log"].append({"method": self.command, "path": path,
                               "authorization": self.headers.get("Authorization")})
        if path == "/_log":
            with cfg["lock"]:
                body = json.dumps(cfg["log"]).encode()
            return self.reply(200, [("Content-Type", "application/json")], body, send_body)
        if path.startswith("/cdn/"):
            return self.serve_cdn(path, send_body)
        parts = [urllib.parse.unquote(p) for p in path.lstrip("/").split("/")]
        if len(parts) < 5 or parts[2] != "resolve":
            return self.reply(404, [("X-Error-Code", "EntryNotFound")], b"not found", send_body)
        repo_id, revision, rel = parts[0] + "/" + parts[1], parts[3], "/".join(parts[4:])
        if repo_id in cfg["renamed"]:
            new = cfg["renamed"][repo_id]
            location = "/" + new + "/resolve/" + "/".join(urllib.parse.quote(p) for p in parts[3:])
            return self.reply(307, [("Location", location)], b"", send_body)
        repo = cfg["repos"].get(repo_id)
        if repo is None:
            return self.reply(404, [("X-Error-Code", "RepositoryNotFound")], b"no such repo", send_body)
        if repo_id in cfg["private"] and self.headers.get("Authorization") != "Bearer " + cfg["token"]:
            return self.reply(401, [("X-Error-Code", "RepositoryNotFound")], b"unauthorized", send_body)
        if revision not in ("main", repo.commit):
            return self.reply(404, [("X-Error-Code", "RevisionNotFound")], b"no such revision", send_body)
        data = repo.files.get(rel)
        if data is None:
            return self.reply(404, [("X-Error-Code", "EntryNotFound"), ("X-Repo-Commit", repo.commit)],
                              b"entry not found", send_body)
        if is_lfs(rel):
            sha = hashlib.sha256(data).hexdigest()
            cfg["cdn"][sha] = (data, repo_id in cfg["truncate"])
            # Another host name for the same socket: clients must treat it as a foreign CDN host.
            host = "http://localhost:%d" % self.server.server_address[1]
            headers = [("Location", f"{host}/cdn/{sha}?repo={urllib.parse.quote(repo_id)}"),
                       ("X-Repo-Commit", repo.commit), ("X-Linked-Etag", f'"{sha}"'),
                       ("X-Linked-Size", str(len(data))), ("ETag", f'"{git_sha1(b"pointer " + sha.encode())}"')]
            return self.reply(302, headers, b"", send_body)
        etag = f'"{git_sha1(data)}"'
        if "/" in rel:
            etag = "W/" + etag
        return self.reply(200, [("X-Repo-Commit", repo.commit), ("ETag", etag)], data, send_body)

    def serve_cdn(self, path, send_body):
        entry = self.server.cfg["cdn"].get(path[len("/cdn/"):])
        if entry is None:
            return self.reply(404, [], b"no such object", send_body)
        data, truncate = entry
        return self.reply(200, [("ETag", '"%s"' % hashlib.sha256(data).hexdigest())], data, send_body, truncate)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", help="serve each folder under ROOT as embetter-test/<folder>")
    ap.add_argument("--repo", action="append", default=[], help="ID=FOLDER")
    ap.add_argument("--private", action="append", default=[])
    ap.add_argument("--token", default="")
    ap.add_argument("--truncate", action="append", default=[])
    ap.add_argument("--rename", action="append", default=[], help="OLD=NEW")
    args = ap.parse_args()

    repos = {}
    if args.root:
        for name in sorted(os.listdir(args.root)):
            if os.path.isdir(os.path.join(args.root, name)):
                repos["embetter-test/" + name] = Repo("embetter-test/" + name, os.path.join(args.root, name))
    for spec in args.repo:
        repo_id, folder = spec.split("=", 1)
        repos[repo_id] = Repo(repo_id, folder)
    cfg = {"repos": repos, "private": set(args.private), "token": args.token, "truncate": set(args.truncate),
           "renamed": dict(s.split("=", 1) for s in args.rename), "cdn": {}, "log": [], "lock": threading.Lock()}

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.cfg = cfg
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("PORT %d" % server.server_address[1], flush=True)
    sys.stdin.read()  # the test closes our stdin (or dies) when it is done
    server.shutdown()


if __name__ == "__main__":
    main()
