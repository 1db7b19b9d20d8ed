import ArgumentParser
import Foundation
import Lance
import LanceArrow
import LanceCore
import LanceDemo

/// `lancelet demo`: builds a synthetic LAION-like dataset (real JPEGs, captions, 768-d embeddings)
/// with Lancelet's own writer, then runs the seed's read workflows on it and says what it did.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a synthetic LAION-like dataset and run the seed's workflows on it.")

    @Option(help: "Rows to generate.")
    var rows: Int = 20_000

    @Option(help: "Directory for the dataset (created; an existing demo dataset there is overwritten).")
    var dir: String = "lancelet-demo"

    @Option(help: "Seed of the generator (the same seed gives the same rows).")
    var seed: UInt64 = 42

    func run() async throws {
        try await runReportingErrors {
            try await demo()
        }
    }

    func say(_ s: String) { print(s) }

    func demo() async throws {
        guard rows > 0 else { throw ValidationError("--rows must be positive") }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let uri = dir + "/laion.lance"

        // 1. Generate and write.
        var t = Date()
        let synth = await LaionSynth.make(seed: seed)
        say("generated a pool of \(synth.images.count) JPEGs (pure-Swift encoder) in \(secs(t))")
        t = Date()
        let exists = FileManager.default.fileExists(atPath: uri + "/_versions")
        let batches = SynthBatches(synth: synth, rows: rows, batchSize: 1024)
        var ds = try await Dataset.create(at: uri, schema: LaionSynth.schema, batches: batches,
                                          options: WriteOptions(mode: exists ? .overwrite : .create))
        let bytes = directoryBytes(uri)
        say("wrote \(rows) rows to \(uri) as version \(ds.version) (data storage \(ds.dataStorageVersion), "
            + "\(ds.fragments.count) fragment(s), \(bytes / 1_000_000) MB) in \(secs(t))")

        // 2. Open: count, schema, versions.
        t = Date()
        ds = try await Dataset.open(uri)
        say("\nopened version \(ds.version): \(try await ds.countRows()) rows in \(secs(t)); schema:")
        for f in ds.schema.fields { say("  \(f.name): \(f.type)") }

        // 3. Scan a slice with projection.
        say("\nscan key, caption, width, height, NSFW with offset 100, limit 5:")
        for try await b in ds.scan(columns: ["key", "caption", "width", "height", "NSFW"], limit: 5, offset: 100) {
            for i in 0 ..< b.count {
                let key = b.columns[0].value(i, as: Int64.self)
                let w = b.columns[2].value(i, as: Int64.self), h = b.columns[3].value(i, as: Int64.self)
                say("  \(key)  \(w)x\(h)  nsfw=\(b.columns[4].value(i, as: Int64.self))  \(b.columns[1].string(i) ?? "null")")
            }
        }

        // 4. Take rows (only their pages and bytes are read) and save one image.
        t = Date()
        let offsets = [42, rows / 2, rows - 1]
        let taken = try await ds.take(offsets: offsets, columns: ["key", "caption", "image", "img_emb"])
        say("\ntook rows \(offsets) with caption, image, img_emb in \(secs(t)):")
        let image = taken.column("image")!, caption = taken.column("caption")!
        for i in 0 ..< taken.count {
            say("  row \(offsets[i]): \(image.bytes(i).count)-byte JPEG, \"\(caption.string(i) ?? "")\"")
        }
        let jpegPath = dir + "/row42.jpg"
        try Data(image.bytes(0)).write(to: URL(fileURLWithPath: jpegPath))
        let emb = taken.column("img_emb")!.listValues(0)
        let norm = (0 ..< emb.count).reduce(0.0) { $0 + Double(emb.value($1, as: Float.self)) * Double(emb.value($1, as: Float.self)) }
        say("  saved row 42's image to \(jpegPath); its embedding has \(emb.count) dims, norm \(String(format: "%.4f", norm.squareRoot()))")

        // 5. Versions and tags: tag this version, delete some rows (a new version), open the tag.
        let tagged = ds.version
        let tagName = "demo-original"
        if try await ds.tags().contains(where: { $0.name == tagName }) {
            try await ds.updateTag(tagName, version: tagged)
        } else {
            try await ds.createTag(tagName, version: tagged)
        }
        ds = try await ds.delete(offsets: Array(0 ..< min(10, rows)))
        say("\ntagged version \(tagged) as `\(tagName)`, deleted the first \(min(10, rows)) rows → version \(ds.version) "
            + "with \(try await ds.countRows()) rows")
        let pinned = try await Dataset.open(uri, version: .tag(tagName))
        say("opened tag `\(tagName)`: version \(pinned.version), \(try await pinned.countRows()) rows")

        // 6. Curate: the seed's filter.
        try await curate(ds)

        // 7. Evolve: two computed columns, then a merged score table.
        ds = try await evolve(ds)

        // 8. Search: an IVF_PQ index on the embeddings, then the seed's Search and Curate queries.
        ds = try await searchSteps(ds)

        say("\nversions:")
        for v in try await ds.versions() { say("  \(v.version)  \(v.timestamp.rfc3339)") }

        say("""

            Next: `lancelet info \(uri)`, `lancelet scan \(uri) --columns key,caption --limit 5 --format table`.
            The same files open in pylance: python -c "import lance; print(lance.dataset('\(uri)').count_rows())"
            Filters and evolution from the shell: `lancelet scan \(uri) --where 'width >= 512' --limit 3`,
            `lancelet add-columns \(uri) --sql 'area=width * height'`, `lancelet update \(uri) --where 'key = 7' --set 'NSFW=1'`.
            """)
    }

    static let curateFilter = "\"NSFW\" = 0 AND similarity > 0.3 AND width >= 512"

    /// The seed's curation step: count the rows the filter keeps and show a few (only the filter's
    /// columns are read for every row; the shown columns only for the kept rows).
    func curate(_ ds: Dataset) async throws {
        let t = Date()
        let kept = try await ds.countRows(where: Self.curateFilter)
        let total = try await ds.countRows()
        say("\ncurate: \(Self.curateFilter)")
        say("  keeps \(kept) of \(total) rows (\(String(format: "%.1f", 100 * Double(kept) / Double(max(1, total))))%), counted in \(secs(t)); the first ones:")
        let rows = try await ds.toBatch(columns: ["key", "NSFW", "similarity", "width", "height", "caption"],
                                        where: Self.curateFilter, limit: 5)
        for i in 0 ..< rows.count {
            say("  \(rows.columns[0].value(i, as: Int64.self))  nsfw=\(rows.columns[1].value(i, as: Int64.self))  "
                + "sim=\(String(format: "%.3f", rows.columns[2].value(i, as: Double.self)))  "
                + "\(rows.columns[3].value(i, as: Int64.self))x\(rows.columns[4].value(i, as: Int64.self))  \(rows.columns[5].string(i) ?? "null")")
        }
    }

    /// The seed's evolution step: two SQL columns (new data files attached to the fragments, nothing
    /// rewritten), then a `(key, aesthetic_score)` table merged on `key`.
    func evolve(_ start: Dataset) async throws -> Dataset {
        var ds = start
        for name in ["aspect_ratio", "is_high_res", "aesthetic_score"] where ds.schema.index(of: name) != nil {
            ds = try await ds.dropColumns([name])
        }
        var t = Date()
        ds = try await ds.addColumns(sql: [("aspect_ratio", "CAST(width AS DOUBLE) / CAST(height AS DOUBLE)"),
                                           ("is_high_res", "width >= 512 AND height >= 512")])
        say("\nevolve: added aspect_ratio and is_high_res by SQL → version \(ds.version) in \(secs(t))")
        // A score per key (deterministic), one row per live key: a left join keeps every row.
        let keys = try await ds.toBatch(columns: ["key"]).columns[0]
        var scores: [Double] = []
        for i in 0 ..< keys.count {
            var z = UInt64(bitPattern: keys.value(i, as: Int64.self)) &* 0x9E37_79B9_7F4A_7C15 &+ seed
            z = (z ^ (z >> 31)) &* 0xBF58_476D_1CE4_E5B9
            scores.append(1 + 8 * Double(z >> 11) / Double(1 << 53))
        }
        let table = try RecordBatch(schema: Schema([Field("key", .int64), Field("aesthetic_score", .float64)]),
                                    columns: [keys, .primitive(.float64, values: scores)])
        t = Date()
        ds = try await ds.merge([table], on: "key")
        say("merged a (key, aesthetic_score) table of \(keys.count) rows on key → version \(ds.version) in \(secs(t))")
        let b = try await ds.toBatch(columns: ["key", "width", "height", "aspect_ratio", "is_high_res", "aesthetic_score"], limit: 5)
        for i in 0 ..< b.count {
            say("  \(b.columns[0].value(i, as: Int64.self))  \(b.columns[1].value(i, as: Int64.self))x\(b.columns[2].value(i, as: Int64.self))  "
                + "aspect_ratio=\(String(format: "%.3f", b.columns[3].value(i, as: Double.self)))  is_high_res=\(b.columns[4].boolValue(i))  "
                + "aesthetic_score=\(String(format: "%.2f", b.columns[5].value(i, as: Double.self)))")
        }
        return ds
    }

    /// Builds an IVF_PQ index on `img_emb` (the reference's defaults), then runs the seed's Search
    /// (row 42's embedding, top 10) and Curate (the same query, prefiltered, top 500) queries.
    func searchSteps(_ start: Dataset) async throws -> Dataset {
        var t = Date()
        let ds = try await start.createIndex(column: "img_emb", options: VectorIndexOptions(type: .ivfPQ, metric: .l2, seed: seed))
        let stats = try await ds.indexStats(ds.listIndices().first { $0.fields == ["img_emb"] }?.name ?? "img_emb_idx")
        say("\nindex: built IVF_PQ (L2) on img_emb → version \(ds.version) in \(secs(t)); \(stats.numIndexedRows) rows indexed")
        let query = try await ds.vector(atRow: 42, column: "img_emb")
        t = Date()
        let hits = try await ds.search(query, column: "img_emb").nprobes(20).refineFactor(10)
            .select(["caption", "url", "similarity"]).limit(10).toBatch()
        say("search: row 42's embedding, nprobes 20, refine 10 → \(hits.count) hits in \(secs(t)):")
        if let caption = hits.column("caption"), let distance = hits.column("_distance") {
            for i in 0 ..< min(5, hits.count) {
                say("  d=\(String(format: "%.4f", distance.value(i, as: Float.self)))  \(caption.string(i) ?? "null")")
            }
        }
        t = Date()
        let kept = try await ds.search(query, column: "img_emb").where(Self.curateFilter, prefilter: true)
            .select(["key", "url", "caption", "similarity"]).limit(500).toBatch()
        say("curate: the same query prefiltered by \(Self.curateFilter), limit 500 → \(kept.count) rows in \(secs(t))")
        return ds
    }

    func secs(_ since: Date) -> String { String(format: "%.2f s", Date().timeIntervalSince(since)) }

    func directoryBytes(_ path: String) -> Int {
        guard let e = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total = 0
        for case let rel as String in e {
            total += (try? FileManager.default.attributesOfItem(atPath: path + "/" + rel)[.size] as? Int) ?? 0
        }
        return total
    }
}

/// Generates the demo's batches lazily, so memory stays at one batch however many rows are asked for.
struct SynthBatches: AsyncSequence, Sendable {
    typealias Element = RecordBatch
    let synth: LaionSynth
    let rows: Int
    let batchSize: Int

    struct Iterator: AsyncIteratorProtocol {
        let synth: LaionSynth
        let rows: Int
        let batchSize: Int
        var position = 0

        mutating func next() async throws -> RecordBatch? {
            guard position < rows else { return nil }
            let n = Swift.min(batchSize, rows - position)
            defer { position += n }
            return synth.makeBatch(start: position, count: n)
        }
    }

    func makeAsyncIterator() -> Iterator { Iterator(synth: synth, rows: rows, batchSize: batchSize) }
}
