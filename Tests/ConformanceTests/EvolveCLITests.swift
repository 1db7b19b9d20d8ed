import Foundation
import LanceArrow
import LanceCore
import Testing
import LanceTestSupport

/// The mutation commands of `lancelet` (`add-columns`, `alter-columns`, `drop-columns`, `merge`,
/// `update`, `delete --where`, `merge-insert`) against pylance: the same steps are applied by the CLI
/// to one copy of a pylance-written dataset and by pylance to another, and pylance compares the
/// two (schema, rows, version count). Needs only the Python of `LANCELET_PYTHON` (or `.venv`).
@Suite struct EvolveCLITests {
    static func py(_ script: String, _ args: [String]) throws -> String { try Subprocess.pythonScript(script, args) }

    static let setup = """
        import sys, shutil, json, lance, pyarrow as pa
        d = sys.argv[1]
        n = 60
        t = pa.table({"id": pa.array(range(n), pa.int64()), "w": pa.array([float(i) for i in range(n)]),
                      "h": pa.array([i % 7 + 1 for i in range(n)], pa.int64()),
                      "s": pa.array(["r%d" % i if i % 3 else None for i in range(n)])})
        lance.write_dataset(t, d + "/cli.lance", max_rows_per_file=25)
        shutil.copytree(d + "/cli.lance", d + "/ref.lance")
        with open(d + "/scores.jsonl", "w") as f:
            for i in range(0, 80, 2):
                f.write(json.dumps({"id": i, "score": i / 4}) + "\\n")
        ds = lance.dataset(d + "/ref.lance")
        ds.add_columns({"area": "w * h", "big": "w >= 50"})
        ds.add_columns(pa.field("note", pa.string()))
        ds.alter_columns({"path": "area", "name": "surface"}, {"path": "h", "data_type": pa.int32()})
        ds.drop_columns(["note"])
        ds.merge(pa.table({"id": pa.array(range(0, 80, 2), pa.int64()), "score": pa.array([i / 4 for i in range(0, 80, 2)])}), "id")
        ds = lance.dataset(d + "/ref.lance")
        ds.update({"w": "w + 1"}, where="id < 5")
        ds = lance.dataset(d + "/ref.lance")
        ds.delete("id % 4 = 1")
        src = ds.to_table(filter="id >= 50")
        src = src.set_column(src.schema.get_field_index("s"), "s", pa.array(["up"] * src.num_rows))
        extra = src.slice(0, 2).set_column(0, "id", pa.array([100, 101], pa.int64()))
        src = pa.concat_tables([src, extra])
        with pa.OSFile(d + "/up.arrow", "wb") as f:
            with pa.ipc.new_file(f, src.schema) as w:
                w.write_table(src)
        ds.merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute(src)
        """

    static let compare = """
        import sys, json, lance
        d = sys.argv[1]
        a, b = lance.dataset(d + "/cli.lance"), lance.dataset(d + "/ref.lance")
        out = []
        if a.version != b.version: out.append("versions %d vs %d" % (a.version, b.version))
        sa = [(f.name, str(f.type), f.nullable) for f in a.schema]
        sb = [(f.name, str(f.type), f.nullable) for f in b.schema]
        if sa != sb: out.append("schema %s vs %s" % (sa, sb))
        ta, tb = a.to_table().sort_by("id").to_pydict(), b.to_table().sort_by("id").to_pydict()
        if ta != tb: out.append("rows differ: %s vs %s" % (str(ta)[:800], str(tb)[:800]))
        print(json.dumps(out))
        """

    @Test func mutationCommandsMatchPylance() async throws {
        let dir = try TestEnvironment.temporaryDirectory("evolve-cli").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Self.py(Self.setup, [dir])
        let uri = dir + "/cli.lance"
        let steps: [[String]] = [
            ["add-columns", uri, "--sql", "area=w * h", "--sql", "big=w >= 50"],
            ["add-columns", uri, "--null", "note:string"],
            ["alter-columns", uri, "--rename", "area:surface", "--cast", "h:int32"],
            ["drop-columns", uri, "note"],
            ["merge", uri, "--from", dir + "/scores.jsonl", "--on", "id"],
            ["update", uri, "--where", "id < 5", "--set", "w=w + 1"],
            ["delete", uri, "--where", "id % 4 = 1"],
            ["merge-insert", uri, "--from", dir + "/up.arrow", "--on", "id", "--update-all", "--insert-all"],
        ]
        var version: Int64 = 1
        for args in steps {
            let r = try await Conformance.run(args)
            #expect(r.status == 0, "\(Conformance.describe(args)): \(r.stderr)")
            let obj = try JSONValue.parse(r.stdout).objectValue
            guard case .int(let v)? = obj?["version"] else {
                Issue.record("\(Conformance.describe(args)) printed \(String(decoding: r.stdout, as: UTF8.self))")
                continue
            }
            #expect(v == version + 1, "\(Conformance.describe(args))")
            version = v
        }
        let diffs = try JSONValue.parse(try Self.py(Self.compare, [dir])).arrayValue ?? [.string("no output")]
        #expect(diffs.isEmpty, "\(diffs.map { $0.stringValue ?? "" })")

        // Bad input: exit 1 with a message, and no new version.
        let dup = dir + "/dup.jsonl"
        try Data("{\"id\": 1, \"q\": 1.0}\n{\"id\": 1, \"q\": 2.0}\n".utf8).write(to: URL(fileURLWithPath: dup))
        for args in [["merge", uri, "--from", dup, "--on", "id"], ["delete", uri, "--where", "widht > 1"],
                     ["update", uri, "--where", "id <", "--set", "w=1"], ["drop-columns", uri, "nope"],
                     ["alter-columns", uri, "--cast", "s:int64"]] {
            let r = try await Conformance.run(args)
            #expect(r.status == 1 && r.stderr.hasPrefix("error: "), "\(Conformance.describe(args)): \(r.status) \(r.stderr)")
        }
        let r = try await Conformance.run(["info", uri, "--json"])
        let info = try JSONValue.parse(r.stdout).objectValue
        guard case .int(let v)? = info?["version"] else {
            Issue.record("info printed \(String(decoding: r.stdout, as: UTF8.self))")
            return
        }
        #expect(v == version)
    }
}
