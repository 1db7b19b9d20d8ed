import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import LanceProto
import SwiftProtobuf

/// Which version of a dataset to open.
public enum VersionSpec: Sendable, Hashable {
    case number(UInt64)
    case tag(String)
}

/// One version of a Lance dataset, opened for reading.
///
/// Opening reads the manifest (and its index section) only; data files are opened lazily by
/// scans and takes.
public final class Dataset: Sendable {
    public let store: any ObjectStore
    /// The dataset location as given (a path or URI), for messages.
    public let uri: String
    /// The version this object reads.
    public let version: UInt64
    /// Path of the manifest file (relative to the store root).
    public let manifestPath: String
    public let manifest: Lance_Table_Manifest
    /// The dataset schema with field ids.
    public let lanceSchema: LanceSchema
    public let fragments: [Fragment]
    let indexMetadata: [Lance_Table_IndexMetadata]
    /// Data files opened by this object's scans and takes.
    let openFiles = OpenFileCache()

    /// The Arrow schema.
    public var schema: Schema { lanceSchema.arrowSchema }

    /// `Manifest.data_format.version` ("2.0", "2.1", "2.2").
    public var dataStorageVersion: String { manifest.dataFormat.version }

    /// Whether the dataset keeps stable row ids (reader flag 2).
    public var usesStableRowIds: Bool { manifest.readerFeatureFlags & FeatureFlags.stableRowIds != 0 }

    /// When the version was committed.
    public var timestamp: VersionTimestamp { VersionTimestamp(manifest.timestamp) }

    init(store: any ObjectStore, uri: String, manifestPath: String, decoded: ManifestFile.Decoded) throws {
        let m = decoded.manifest
        try FeatureFlags.check(reader: m.readerFeatureFlags, path: manifestPath)
        self.store = store
        self.uri = uri
        self.version = m.version
        self.manifestPath = manifestPath
        self.manifest = m
        do {
            self.lanceSchema = try LanceSchema(protoFields: m.fields, metadata: m.schemaMetadata)
        } catch let e as LanceError {
            throw e.at(path: manifestPath)
        }
        self.fragments = try m.fragments.map { try Fragment($0, manifestPath: manifestPath) }
        self.indexMetadata = decoded.indices
    }

    // MARK: - Opening

    /// Opens a dataset at a local path or `file://` URI, at the latest version or the one given.
    public static func open(_ uri: String, version: VersionSpec? = nil) async throws -> Dataset {
        let store = try localStore(for: uri)
        return try await open(store: store, version: version, uri: uri)
    }

    /// Opens the dataset stored at the root of `store`.
    public static func open(store: any ObjectStore, version: VersionSpec? = nil, uri: String? = nil) async throws -> Dataset {
        let uri = uri ?? store.root
        let manifests = try await ManifestFile.list(store, base: "")
        let wanted: UInt64
        switch version {
        case nil:
            guard let latest = manifests.keys.max() else {
                throw LanceError.notFound("no dataset here: `_versions/` holds no manifest", path: uri)
            }
            wanted = latest
        case .number(let v):
            wanted = v
        case .tag(let name):
            wanted = try await readTag(store: store, name: name).version
        }
        guard let path = manifests[wanted] else {
            if manifests.isEmpty {
                throw LanceError.notFound("no dataset here: `_versions/` holds no manifest", path: uri)
            }
            throw LanceError.notFound("version \(wanted) does not exist (latest is \(manifests.keys.max()!))", path: uri)
        }
        let decoded = try await ManifestFile.load(store, path: path)
        return try Dataset(store: store, uri: uri, manifestPath: path, decoded: decoded)
    }

    /// Opens another version of the same dataset.
    public func checkout(_ version: VersionSpec) async throws -> Dataset {
        try await Dataset.open(store: store, version: version, uri: uri)
    }

    static func localStore(for uri: String) throws -> LocalStore {
        var path = uri
        if path.hasPrefix("file://") {
            path = String(path.dropFirst("file://".count))
            path = path.removingPercentEncoding ?? path
        } else if let r = path.range(of: "://"), !path[..<r.lowerBound].contains("/") {
            throw LanceError.unsupported("URI scheme `\(path[..<r.lowerBound])` is not supported (use a local path or file://)",
                                         path: uri)
        }
        guard !path.isEmpty else { throw LanceError.invalid("empty dataset path") }
        return LocalStore(root: path)
    }

    // MARK: - Metadata

    /// Rows at this version after deletions, from metadata (no data is read unless an old
    /// deletion file lacks its row count).
    public func countRows() async throws -> Int {
        var total = 0
        for f in fragments { total += try await liveRows(f) }
        return total
    }

    /// Live rows of a fragment; reads the deletion file only when the manifest lacks its count.
    func liveRows(_ f: Fragment) async throws -> Int {
        if let d = f.deletionFile, d.numDeletedRows == nil {
            return f.physicalRows - (try await deletionVector(f)?.count ?? 0)
        }
        return f.physicalRows - f.deletedRows
    }

    /// Every version of the dataset, ascending, with its commit time and summary metadata.
    public func versions() async throws -> [VersionInfo] {
        try await Dataset.versions(store: store)
    }

    static func versions(store: any ObjectStore) async throws -> [VersionInfo] {
        let manifests = try await ManifestFile.list(store, base: "")
        var out: [VersionInfo] = []
        for (v, path) in manifests.sorted(by: { $0.key < $1.key }) {
            let m = try await ManifestFile.load(store, path: path).manifest
            out.append(VersionInfo(version: v, timestamp: VersionTimestamp(m.timestamp), metadata: Dataset.summary(m)))
        }
        return out
    }

    /// The summary pylance reports as a version's metadata.
    static func summary(_ m: Lance_Table_Manifest) -> [String: String] {
        var dataFiles = 0, deletionFiles = 0, fileSize: UInt64 = 0, physical: UInt64 = 0, deleted: UInt64 = 0
        for f in m.fragments {
            dataFiles += f.files.count
            for d in f.files { fileSize &+= d.fileSizeBytes }
            physical &+= f.physicalRows
            if f.hasDeletionFile {
                deletionFiles += 1
                deleted &+= f.deletionFile.numDeletedRows
            }
        }
        return [
            "total_fragments": "\(m.fragments.count)",
            "total_data_files": "\(dataFiles)",
            "total_files_size": "\(fileSize)",
            "total_deletion_files": "\(deletionFiles)",
            "total_data_file_rows": "\(physical)",
            "total_deletion_file_rows": "\(deleted)",
            "total_rows": "\(physical &- deleted)",
        ]
    }

    /// The dataset's tags, sorted by name.
    public func tags() async throws -> [Tag] {
        try await Dataset.tags(store: store)
    }

    static func tags(store: any ObjectStore) async throws -> [Tag] {
        var out: [Tag] = []
        for m in try await store.list(Tag.directory) {
            let name = m.path.split(separator: "/").last.map(String.init) ?? m.path
            guard name.hasSuffix(".json"), name.count > 5 else { continue }
            out.append(try await readTag(store: store, name: String(name.dropLast(5))))
        }
        return out.sorted { $0.name < $1.name }
    }

    static func readTag(store: any ObjectStore, name: String) async throws -> Tag {
        guard !name.isEmpty, !name.contains("/") else { throw LanceError.invalid("invalid tag name `\(name)`") }
        let path = Tag.directory + "/" + name + ".json"
        let object: any ReadableObject
        do {
            object = try await store.open(path)
        } catch let e as LanceError where e.code == .notFound {
            throw LanceError.notFound("tag `\(name)` does not exist", path: e.path ?? path)
        }
        guard object.size <= 1 << 20 else { throw LanceError.corrupt("tag file is too large", path: object.path) }
        return try Tag.parse(name: name, json: try await object.readAll().bytes, path: object.path)
    }
}

/// A manifest timestamp (UTC).
public struct VersionTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64
    public var nanos: Int32

    public init(seconds: Int64, nanos: Int32) {
        self.seconds = seconds
        self.nanos = nanos
    }

    init(_ t: Google_Protobuf_Timestamp) { self.init(seconds: t.seconds, nanos: t.nanos) }

    public var date: Date { Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1e9) }

    public static func < (a: Self, b: Self) -> Bool { (a.seconds, a.nanos) < (b.seconds, b.nanos) }

    /// RFC 3339 in UTC with exactly six fractional digits (truncated): `2026-11-27T17:21:18.123456Z`.
    public var rfc3339: String {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secOfDay = seconds - days * 86400
        // Civil date from days since 1970-01-01 (proleptic Gregorian).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        let micros = Int64(max(0, min(999_999_999, nanos))) / 1000
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secOfDay / 3600, 2)):\(pad(secOfDay / 60 % 60, 2)):"
            + "\(pad(secOfDay % 60, 2)).\(pad(micros, 6))Z"
    }

    public var description: String { rfc3339 }
}

/// One entry of ``Dataset/versions()``.
public struct VersionInfo: Sendable, Hashable {
    public var version: UInt64
    public var timestamp: VersionTimestamp
    /// The manifest summary (total_rows, total_fragments, …) as pylance reports it.
    public var metadata: [String: String]
}

/// A named reference to a version (`_refs/tags/<name>.json`).
public struct Tag: Sendable, Hashable {
    static let directory = "_refs/tags"
    public var name: String
    public var version: UInt64
    public var manifestSize: UInt64?

    public init(name: String, version: UInt64, manifestSize: UInt64? = nil) {
        self.name = name
        self.version = version
        self.manifestSize = manifestSize
    }

    /// Parses a tag file; accepts pylance 14's camelCase keys and the older snake_case ones.
    static func parse(name: String, json: [UInt8], path: String) throws -> Tag {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json))
        } catch {
            throw LanceError.corrupt("tag file is not valid JSON", path: path)
        }
        guard let dict = object as? [String: Any] else {
            throw LanceError.corrupt("tag file does not hold a JSON object", path: path)
        }
        func integer(_ keys: String...) -> UInt64? {
            for k in keys {
                if let n = dict[k] as? NSNumber, n.int64Value >= 0 { return n.uint64Value }
            }
            return nil
        }
        guard let version = integer("version") else {
            throw LanceError.corrupt("tag file has no non-negative integer `version`", path: path)
        }
        return Tag(name: name, version: version, manifestSize: integer("manifestSize", "manifest_size"))
    }
}
