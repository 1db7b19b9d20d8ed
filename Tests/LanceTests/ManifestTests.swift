import Foundation
import LanceArrow
import LanceCore
import LanceIO
import LanceProto
import SwiftProtobuf
import Testing
@testable import Lance

@Suite struct ManifestTests {
    @Test func latestVersionFromV2Names() async throws {
        let store = try await Synth.store((1 ... 3).map { Synth.manifest(version: $0) })
        // The hint file and non-manifest names are ignored.
        try await store.put("_versions/latest_version_hint.json", Array(#"{"version":1}"#.utf8))
        try await store.put("_versions/18446744073709551600.manifest.tmp", [1, 2, 3])
        try await store.put("_versions/abc.manifest", [1, 2, 3])
        let ds = try await Dataset.open(store: store)
        #expect(ds.version == 3)
        #expect(ds.manifestPath == "_versions/" + Synth.v2Name(3))
        #expect(Synth.v2Name(1) == "18446744073709551614.manifest")
        let versions = try await ds.versions()
        #expect(versions.map(\.version) == [1, 2, 3])
    }

    @Test func latestVersionFromV1Names() async throws {
        let store = try await Synth.store([Synth.manifest(version: 1), Synth.manifest(version: 2), Synth.manifest(version: 10)],
                                          v1: true)
        let ds = try await Dataset.open(store: store)
        #expect(ds.version == 10)
        #expect(ds.manifestPath == "_versions/10.manifest")
        let old = try await Dataset.open(store: store, version: .number(2))
        #expect(old.version == 2)
    }

    @Test func missingVersionAndEmptyDirectoryAreNotFound() async throws {
        let store = try await Synth.store([Synth.manifest(version: 1)])
        await expectCode(.notFound) { try await Dataset.open(store: store, version: .number(5)) }
        await expectCode(.notFound) { try await Dataset.open(store: MemoryStore()) }
        await expectCode(.notFound) { try await Dataset.open("/nonexistent/lancelet/dataset") }
    }

    /// Every corruption of the framing is a `corruptFile` error that names the manifest.
    @Test func corruptManifestsNameTheFile() async throws {
        let good = Synth.manifestFile(Synth.manifest(version: 1, fragments: [Synth.fragment(0, rows: 5)]))
        var variants: [(String, [UInt8])] = []
        variants.append(("truncated tail", Array(good.dropLast(3))))
        variants.append(("truncated to 10 bytes", Array(good.prefix(10))))
        variants.append(("empty", []))
        var badMagic = good
        badMagic[badMagic.count - 1] = 0x58
        variants.append(("bad magic", badMagic))
        var badPos = good
        badPos.replaceSubrange(good.count - 16 ..< good.count - 8, with: Synth.le(Int64(good.count)))
        variants.append(("position past the end", badPos))
        var negPos = good
        negPos.replaceSubrange(good.count - 16 ..< good.count - 8, with: Synth.le(Int64(-4)))
        variants.append(("negative position", negPos))
        var badLen = good
        badLen.replaceSubrange(0 ..< 4, with: Synth.le(UInt32(3)))
        variants.append(("length mismatch", badLen))
        var garbage = good
        for i in 4 ..< min(20, garbage.count - 16) { garbage[i] = 0xFF }
        variants.append(("garbage protobuf", garbage))
        for (what, bytes) in variants {
            let store = MemoryStore()
            let name = Synth.v2Name(1)
            try await store.put("_versions/" + name, bytes)
            do {
                _ = try await Dataset.open(store: store)
                Issue.record("\(what): opened a corrupt manifest")
            } catch let e as LanceError {
                #expect(e.code == .corruptFile, "\(what): \(e)")
                #expect(e.path?.hasSuffix(name) == true, "\(what): error does not name the file: \(e)")
            }
        }
    }

    @Test func indexSectionOutOfRangeIsCorrupt() async throws {
        var m = Synth.manifest(version: 1)
        m.indexSection = 1_000_000
        let store = MemoryStore()
        try await store.put("_versions/" + Synth.v2Name(1), Synth.manifestFile(m))
        await expectCode(.corruptFile) { try await Dataset.open(store: store) }
    }

    @Test func unknownReaderFlagIsUnsupported() async throws {
        for flag: UInt64 in [16, 64, 1024, 1 << 40] {
            let store = try await Synth.store([Synth.manifest(version: 1, flags: 1 | flag)])
            do {
                _ = try await Dataset.open(store: store)
                Issue.record("flag \(flag) accepted")
            } catch let e as LanceError {
                #expect(e.code == .unsupported)
                #expect(e.message.contains("\(flag)"), "message does not name bit \(flag): \(e.message)")
                #expect(e.path?.hasSuffix(Synth.v2Name(1)) == true)
            }
        }
        // Flags Lancelet implements are accepted (2 needs row id sequences only when row ids are read).
        let ok = try await Synth.store([Synth.manifest(version: 1, flags: 1 | 2 | 4 | 8 | 32 | 256)])
        let ds = try await Dataset.open(store: ok)
        #expect(ds.usesStableRowIds)
    }

    @Test func tagsInBothSpellings() async throws {
        let store = try await Synth.store((1 ... 3).map { Synth.manifest(version: $0) })
        try await store.put("_refs/tags/camel.json",
                            Array(#"{"branch":null,"version":2,"createdAt":"2026-01-01T00:00:00Z","manifestSize":459,"metadata":{}}"#.utf8))
        try await store.put("_refs/tags/snake.json", Array(#"{"version": 1, "manifest_size": 321}"#.utf8))
        try await store.put("_refs/tags/README", Array("not a tag".utf8))
        let ds = try await Dataset.open(store: store)
        let tags = try await ds.tags()
        #expect(tags == [Tag(name: "camel", version: 2, manifestSize: 459), Tag(name: "snake", version: 1, manifestSize: 321)])
        let byTag = try await Dataset.open(store: store, version: .tag("camel"))
        #expect(byTag.version == 2)
        let bySnake = try await ds.checkout(.tag("snake"))
        #expect(bySnake.version == 1)
        await expectCode(.notFound) { try await Dataset.open(store: store, version: .tag("nope")) }
        try await store.put("_refs/tags/broken.json", Array(#"{"manifestSize": 3}"#.utf8))
        await expectCode(.corruptFile) { try await Dataset.open(store: store, version: .tag("broken")) }
        try await store.put("_refs/tags/notjson.json", Array("{oops".utf8))
        await expectCode(.corruptFile) { try await Dataset.open(store: store, version: .tag("notjson")) }
    }

    @Test func versionTimestampsAreRFC3339Micros() async throws {
        let t = VersionTimestamp(seconds: 1_795_801_590, nanos: 135_112_018)
        #expect(t.rfc3339 == "2026-11-27T17:46:30.135112Z")
        #expect(VersionTimestamp(seconds: 0, nanos: 999).rfc3339 == "1970-01-01T00:00:00.000000Z")
        #expect(VersionTimestamp(seconds: 951_782_400, nanos: 5_000).rfc3339 == "2000-02-29T00:00:00.000005Z")
        #expect(VersionTimestamp(seconds: -1, nanos: 0).rfc3339 == "1969-12-31T23:59:59.000000Z")
        let store = try await Synth.store([Synth.manifest(version: 1, seconds: 1_795_801_590, nanos: 135_112_018)])
        let v = try await Dataset.open(store: store).versions()
        #expect(v.map(\.timestamp.rfc3339) == ["2026-11-27T17:46:30.135112Z"])
    }

    @Test func countRowsFromMetadataOnly() async throws {
        // No data or deletion files exist: the count must come from the manifest alone.
        let m = Synth.manifest(version: 1, fragments: [Synth.fragment(0, rows: 10), Synth.fragment(1, rows: 20, deleted: 3),
                                                        Synth.fragment(5, rows: 7)])
        let ds = try await Dataset.open(store: try await Synth.store([m]))
        #expect(try await ds.countRows() == 34)
        #expect(ds.fragments.map(\.deletedRows) == [0, 3, 0])
        #expect(ds.fragments[1].deletionFile?.path(fragmentId: 1) == "_deletions/1-1-7.bin")
    }

    @Test func schemaAndFragmentsDecode() async throws {
        let fields = [Synth.field(0, "id", "int64"), Synth.field(1, "point", "struct"),
                      Synth.field(2, "x", "double", parent: 1), Synth.field(3, "tags", "list"),
                      Synth.field(4, "item", "string", parent: 3)]
        var frag = Synth.fragment(3, rows: 4, fields: [0, 2, -2, 4])
        frag.files[0].columnIndices = [0, 1, -1, 2]
        let ds = try await Dataset.open(store: try await Synth.store([Synth.manifest(version: 1, fragments: [frag], fields: fields)]))
        #expect(ds.schema.fields.map(\.name) == ["id", "point", "tags"])
        #expect(ds.schema.fields[1].type.description == "struct<x: double>")
        #expect(ds.fragments[0].files[0].columnMap == [0: 0, 2: 1, 4: 2])
        #expect(ds.fragments[0].files[0].objectPath == "data/frag3.lance")
    }
}
