import Foundation
import LanceCore
import LanceIO
import LanceProto
import SwiftProtobuf
import Testing
@testable import Lance
import LanceTestSupport

/// Builders of synthetic datasets in a MemoryStore.
enum Synth {
    static func field(_ id: Int32, _ name: String, _ logicalType: String, parent: Int32 = -1) -> Lance_File_Field {
        var f = Lance_File_Field()
        f.id = id
        f.name = name
        f.logicalType = logicalType
        f.parentID = parent
        f.nullable = true
        return f
    }

    static func fragment(_ id: UInt64, rows: UInt64, fields: [Int32] = [0], deleted: UInt64? = nil,
                         rowIds: Lance_Table_RowIdSequence? = nil) -> Lance_Table_DataFragment {
        var f = Lance_Table_DataFragment()
        f.id = id
        f.physicalRows = rows
        var d = Lance_Table_DataFile()
        d.path = "frag\(id).lance"
        d.fields = fields
        d.columnIndices = fields.indices.map(Int32.init)
        d.fileMajorVersion = 2
        d.fileMinorVersion = 1
        f.files = [d]
        if let deleted {
            var del = Lance_Table_DeletionFile()
            del.fileType = .bitmap
            del.readVersion = 1
            del.id = 7
            del.numDeletedRows = deleted
            f.deletionFile = del
        }
        if let rowIds { f.inlineRowIds = try! rowIds.serializedData() }
        return f
    }

    static func manifest(version: UInt64, fragments: [Lance_Table_DataFragment] = [], flags: UInt64 = 0,
                         fields: [Lance_File_Field] = [field(0, "id", "int64")], seconds: Int64 = 1_700_000_000,
                         nanos: Int32 = 0) -> Lance_Table_Manifest {
        var m = Lance_Table_Manifest()
        m.version = version
        m.fields = fields
        m.fragments = fragments
        m.readerFeatureFlags = flags
        m.writerFeatureFlags = flags
        m.maxFragmentID = UInt32(fragments.map(\.id).max() ?? 0)
        var ts = Google_Protobuf_Timestamp()
        ts.seconds = seconds
        ts.nanos = nanos
        m.timestamp = ts
        var df = Lance_Table_Manifest.DataStorageFormat()
        df.fileFormat = "lance"
        df.version = "2.1"
        m.dataFormat = df
        return m
    }

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        withUnsafeBytes(of: v.littleEndian) { Array($0) }
    }

    /// The framed manifest file (index section first when given, then the manifest, then the footer).
    static func manifestFile(_ manifest: Lance_Table_Manifest, indices: [Lance_Table_IndexMetadata] = []) -> [UInt8] {
        var m = manifest
        var out: [UInt8] = []
        if !indices.isEmpty {
            var section = Lance_Table_IndexSection()
            section.indices = indices
            let b: [UInt8] = try! section.serializedBytes()
            m.indexSection = 0
            out += le(UInt32(b.count)) + b
        }
        let pos = out.count
        let mb: [UInt8] = try! m.serializedBytes()
        out += le(UInt32(mb.count)) + mb
        out += le(Int64(pos)) + le(Int16(0)) + le(Int16(2)) + Array("LANC".utf8)
        return out
    }

    static func v2Name(_ v: UInt64) -> String { ManifestFile.name(version: v, naming: .v2) }

    /// A store holding the given manifests under V2 (default) or V1 names.
    static func store(_ manifests: [Lance_Table_Manifest], v1: Bool = false) async throws -> MemoryStore {
        let store = MemoryStore()
        for m in manifests {
            let name = v1 ? "\(m.version).manifest" : v2Name(m.version)
            try await store.put("_versions/" + name, manifestFile(m))
        }
        return store
    }
}

/// Runs the reference Python (pylance) with a script; returns its standard output.
enum Python {
    static var repoRoot: URL { TestEnvironment.repoRoot }

    static var executable: String { TestEnvironment.python }

    static func run(_ script: String, args: [String] = []) throws -> String {
        try Subprocess.pythonScript(script, args)
    }

    /// Runs a script that prints one JSON document; returns it parsed.
    static func json(_ script: String, args: [String] = []) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try run(script, args: args).utf8))
    }

    static func tempDir(_ label: String) throws -> String { try TestEnvironment.temporaryDirectory(label).path }
}

/// Expects `body` to throw a `LanceError` with `code`.
func expectCode<R>(_ code: LanceError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () async throws -> R) async {
    do {
        _ = try await body()
        Issue.record("expected a \(code) error, got success", sourceLocation: sourceLocation)
    } catch let e as LanceError {
        #expect(e.code == code, "\(e)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a LanceError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

func expectCodeSync<R>(_ code: LanceError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () throws -> R) {
    do {
        _ = try body()
        Issue.record("expected a \(code) error, got success", sourceLocation: sourceLocation)
    } catch let e as LanceError {
        #expect(e.code == code, "\(e)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a LanceError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
