import Foundation
import Lance
import LanceArrow
import LanceCore
import Testing

/// The write commands of the CLI end to end: import (Arrow IPC file/stream, JSON lines with a
/// given or inferred schema), export (`scan --format arrow`), versions, tags, restore, cleanup.
@Suite struct WriteCLITests {
    static func inputBatch(rows: Int, seed: UInt64) throws -> RecordBatch {
        var rng = SplitMix64(seed: seed)
        let schema = Schema([Field("id", .int64, nullable: false), Field("name", .utf8),
                             Field("score", .float64), Field("tags", .list(Field("item", .int32))),
                             Field("emb", .fixedSizeList(Field("item", .float32), 4))])
        let ids = (0 ..< rows).map { Int64($0) }
        let names: [String?] = (0 ..< rows).map { $0 % 7 == 3 ? nil : "row \($0) é\(rng.next() % 1000)" }
        let scores: [Double?] = (0 ..< rows).map { $0 % 11 == 5 ? nil : Double(rng.next() % 10000) / 8 }
        var items: [Int32] = []
        var offsets: [Int64] = [0]
        for _ in 0 ..< rows {
            for _ in 0 ..< Int(rng.next() % 4) { items.append(Int32(truncatingIfNeeded: rng.next() % 100)) }
            offsets.append(Int64(items.count))
        }
        let emb = (0 ..< rows * 4).map { _ in Float(Int(rng.next() % 2000) - 1000) / 64 }
        return try RecordBatch(schema: schema, columns: [
            .primitive(.int64, values: ids), .strings(names), .primitive(.float64, scores),
            .list(.primitive(.int32, values: items), offsets: offsets),
            .fixedSizeList(.primitive(.float32, values: emb), size: 4),
        ])
    }

    static func rows(_ b: RecordBatch) throws -> [JSONValue] {
        try (0 ..< b.count).map { i in
            .object(JSONObject(try b.schema.fields.enumerated().map { k, f in (f.name, try b.columns[k].jsonValue(at: i)) }))
        }
    }

    static func info(_ uri: String) throws -> JSONValue {
        try JSONValue.parse(try CLI.lancelet(["info", uri, "--json"]).stdout)
    }

    @Test func importExportVersionsTagsRestoreCleanup() throws {
        let dir = try CLI.tempDir("cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let uri = dir + "/ds.lance"
        let batch = try WriteCLITests.inputBatch(rows: 100, seed: 7)
        // An Arrow IPC file with ZSTD-compressed bodies, in two batches.
        let input = dir + "/in.arrow"
        try Data(try ArrowIPCWriter.file(schema: batch.schema, batches: [batch.slice(0, 60), batch.slice(60, 40)],
                                         compression: .zstd)).write(to: URL(fileURLWithPath: input))
        try CLI.lancelet(["create", uri, "--from", input, "--data-storage-version", "2.1", "--max-rows-per-file", "40"])
        var info = try WriteCLITests.info(uri)
        #expect(info["count"]?.int64Value == 100)
        #expect(info["data_storage_version"]?.stringValue == "2.1")
        #expect(info["fragments"]?.arrayValue?.count == 3)
        // create refuses an existing dataset.
        #expect(try CLI.run(try CLI.executable(), ["create", uri, "--from", input]).status == 1)

        // scan --format arrow: an Arrow IPC stream with the same values.
        let arrow = try CLI.lancelet(["scan", uri, "--format", "arrow"]).stdout
        let (schema, batches) = try ArrowIPCStreamReader.read(bytes: arrow)
        #expect(schema.fields.map(\.name) == batch.schema.fields.map(\.name))
        #expect(try batches.flatMap(WriteCLITests.rows) == WriteCLITests.rows(batch))

        // JSON lines out, then back in with `info --json` as the schema file: same rows.
        let jsonl = dir + "/rows.jsonl", schemaFile = dir + "/schema.json"
        let scanned = try CLI.lancelet(["scan", uri]).stdout
        try Data(scanned).write(to: URL(fileURLWithPath: jsonl))
        try Data(try CLI.lancelet(["info", uri, "--json"]).stdout).write(to: URL(fileURLWithPath: schemaFile))
        try CLI.lancelet(["overwrite", uri, "--from", jsonl, "--schema", schemaFile, "--batch-rows", "33"])
        #expect(try CLI.lancelet(["scan", uri]).stdout == scanned)
        // append JSON lines without --schema: the dataset's schema is used.
        try CLI.lancelet(["append", uri, "--from", jsonl])
        info = try WriteCLITests.info(uri)
        #expect(info["count"]?.int64Value == 200)
        #expect(info["schema"] == (try JSONValue.parse(try [UInt8](Data(contentsOf: URL(fileURLWithPath: schemaFile)))))["schema"])

        // versions --json
        let versions = try JSONValue.parse(try CLI.lancelet(["versions", uri, "--json"]).stdout).arrayValue ?? []
        #expect(versions.compactMap { $0["version"]?.int64Value } == [1, 2, 3])
        #expect(versions.map { $0["metadata"]?["total_rows"]?.stringValue } == ["100", "100", "200"])
        #expect(versions.allSatisfy { ($0["timestamp"]?.stringValue ?? "").hasSuffix("Z") })

        // tags
        try CLI.lancelet(["tags", "create", uri, "first", "--version", "1"])
        try CLI.lancelet(["tags", "create", uri, "latest"])
        #expect(try JSONValue.parse(try CLI.lancelet(["tags", "list", uri, "--json"]).stdout) == .object(["first": .int(1), "latest": .int(3)]))
        try CLI.lancelet(["tags", "update", uri, "first", "--version", "2"])
        try CLI.lancelet(["tags", "delete", uri, "latest"])
        #expect(try JSONValue.parse(try CLI.lancelet(["tags", "list", uri, "--json"]).stdout) == .object(["first": .int(2)]))
        #expect(try CLI.run(try CLI.executable(), ["tags", "create", uri, "nope", "--version", "9"]).status == 1)
        #expect(try CLI.run(try CLI.executable(), ["tags", "delete", uri, "nope"]).status == 1)

        // restore, both spellings
        try CLI.lancelet(["restore", uri, "1"])
        info = try WriteCLITests.info(uri)
        #expect(info["version"]?.int64Value == 4)
        #expect(info["count"]?.int64Value == 100)
        try CLI.lancelet(["restore", uri, "--version", "3"])
        #expect(try WriteCLITests.info(uri)["count"]?.int64Value == 200)

        // cleanup: keeps the latest (5) and the tagged version (2).
        let cleaned = try JSONValue.parse(try CLI.lancelet(["cleanup", uri, "--older-than", "0s", "--json"]).stdout)
        #expect(cleaned["removed_versions"] == .array([.int(1), .int(3), .int(4)]))
        let left = try JSONValue.parse(try CLI.lancelet(["versions", uri, "--json"]).stdout).arrayValue ?? []
        #expect(left.compactMap { $0["version"]?.int64Value } == [2, 5])
        #expect(try CLI.lancelet(["scan", uri, "--tag", "first"]).stdout == scanned)
        #expect(try CLI.lancelet(["scan", uri]).stdout.count == 2 * scanned.count)
    }

    @Test func jsonLinesWithInferredSchemaAndArrowStream() throws {
        let dir = try CLI.tempDir("jsonl")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lines = """
            {"a": 1, "b": "x", "c": [1.5, 2], "d": {"e": true}}

            {"a": null, "b": "ü", "c": [], "d": {"e": false}}
            {"a": 3, "b": null, "c": null, "d": null}
            """
        try Data(lines.utf8).write(to: URL(fileURLWithPath: dir + "/in.jsonl"))
        try CLI.lancelet(["create", dir + "/ds", "--from", dir + "/in.jsonl"])
        let info = try WriteCLITests.info(dir + "/ds")
        #expect(info["schema"]?.arrayValue?.compactMap { $0["type"]?.stringValue }
            == ["int64", "string", "list<item: double>", "struct<e: bool>"])
        let rows = try CLI.jsonLines(try CLI.lancelet(["scan", dir + "/ds"]).stdout)
        #expect(rows.count == 3)
        #expect(rows[0]["c"] == .array([.double(1.5), .double(2)]))
        #expect(rows[1]["a"] == .null && rows[1]["b"] == .string("ü"))
        #expect(rows[2]["d"] == .null)
        // A value of the wrong type names the field and the lines.
        try Data(#"{"a": "no", "b": "x", "c": [], "d": null}"#.utf8).write(to: URL(fileURLWithPath: dir + "/bad.jsonl"))
        let bad = try CLI.run(try CLI.executable(), ["append", dir + "/ds", "--from", dir + "/bad.jsonl"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("`a`"))

        // An Arrow IPC stream (LZ4 frames) with the .arrows extension.
        let batch = try WriteCLITests.inputBatch(rows: 50, seed: 3)
        let stream = try ArrowIPCWriter.stream(schema: batch.schema, batches: [batch], compression: .lz4Frame)
        try Data(stream).write(to: URL(fileURLWithPath: dir + "/in.arrows"))
        try CLI.lancelet(["create", dir + "/s", "--from", dir + "/in.arrows", "--data-storage-version", "2.0"])
        let back = try CLI.lancelet(["scan", dir + "/s", "--format", "arrow"]).stdout
        #expect(try ArrowIPCStreamReader.read(bytes: back).batches.flatMap(WriteCLITests.rows) == WriteCLITests.rows(batch))
    }
}
