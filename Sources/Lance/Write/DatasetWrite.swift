import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import LanceProto

/// How ``Dataset/create(at:schema:batches:options:)`` treats an existing dataset.
public enum WriteMode: Sendable, Hashable {
    /// Fail with `alreadyExists` if a dataset exists.
    case create
    /// Add the rows as new fragments (the dataset must exist, or is created).
    case append
    /// Replace the content by the rows in a new version (creates the dataset if needed).
    case overwrite
}

/// Options of dataset writes.
public struct WriteOptions: Sendable, Hashable {
    public var mode: WriteMode
    /// File version of new datasets (and of overwrites); appends use the dataset's version.
    public var dataStorageVersion: FileVersion
    /// Rows per data file (pylance: 1 Mi).
    public var maxRowsPerFile: Int
    /// Approximate in-memory bytes per data file before a new file is started (pylance: 90 GB).
    public var maxBytesPerFile: Int
    /// Name manifests the V2 way (`2^64-1-v`, the default) for new datasets; existing datasets keep theirs.
    public var enableV2ManifestPaths: Bool
    /// Publication attempts before giving up with `retryableCommitConflict`.
    public var maxCommitAttempts: Int
    /// Give rows stable row ids (pylance's `enable_stable_row_ids`) when creating a dataset.
    /// Overwrites and appends keep whatever the dataset uses.
    public var enableStableRowIds: Bool = false

    public init(mode: WriteMode = .create, dataStorageVersion: FileVersion = .v2_2, maxRowsPerFile: Int = 1024 * 1024,
                maxBytesPerFile: Int = 90 * 1024 * 1024 * 1024, enableV2ManifestPaths: Bool = true,
                maxCommitAttempts: Int = 20) {
        self.mode = mode
        self.dataStorageVersion = dataStorageVersion
        self.maxRowsPerFile = max(1, maxRowsPerFile)
        self.maxBytesPerFile = max(1, maxBytesPerFile)
        self.enableV2ManifestPaths = enableV2ManifestPaths
        self.maxCommitAttempts = max(1, maxCommitAttempts)
    }
}

extension Dataset {
    // MARK: - Create / append / overwrite

    /// Writes `batches` as a dataset at a local path or `file://` URI and returns the new version.
    ///
    /// Data files are written first and the manifest last, so a failure leaves no visible change.
    /// Throws `alreadyExists` in `.create` mode when a dataset exists, `schemaMismatch` (naming the
    /// field) when appending rows of another schema.
    public static func create<S: AsyncSequence>(at uri: String, schema: Schema, batches: S,
                                                options: WriteOptions = WriteOptions()) async throws -> Dataset
        where S.Element == RecordBatch
    {
        try await create(store: try localStore(for: uri), uri: uri, schema: schema, batches: batches, options: options)
    }

    /// ``create(at:schema:batches:options:)`` with the batches in an array.
    public static func create(at uri: String, schema: Schema, batches: [RecordBatch],
                              options: WriteOptions = WriteOptions()) async throws -> Dataset {
        try await create(at: uri, schema: schema, batches: ArrayBatches(batches), options: options)
    }

    /// Writes a dataset at the root of `store`.
    public static func create<S: AsyncSequence>(store: any ObjectStore, uri: String? = nil, schema: Schema, batches: S,
                                                options: WriteOptions = WriteOptions()) async throws -> Dataset
        where S.Element == RecordBatch
    {
        let uri = uri ?? store.root
        let existing = try await Committer.latest(store)
        let naming: ManifestFile.Naming = options.enableV2ManifestPaths ? .v2 : .v1
        switch options.mode {
        case .create:
            if existing != nil { throw LanceError(.alreadyExists, "a dataset already exists here", path: uri) }
            fallthrough
        case .overwrite:
            let lanceSchema = LanceSchema(assigningIdsTo: schema)
            let frags = try await writeFragments(store: store, schema: lanceSchema, batches: batches,
                                                 version: options.dataStorageVersion, options: options)
            return try await Committer.commit(store: store, uri: uri, readVersion: existing?.manifest.version ?? 0,
                                              operation: .overwrite(frags, schema: lanceSchema,
                                                                    fileVersion: options.dataStorageVersion,
                                                                    stableRowIds: options.enableStableRowIds),
                                              newDatasetNaming: naming, mustCreate: options.mode == .create,
                                              maxAttempts: options.maxCommitAttempts)
        case .append:
            guard let e = existing else {
                var o = options
                o.mode = .create
                return try await create(store: store, uri: uri, schema: schema, batches: batches, options: o)
            }
            let decoded = ManifestFile.Decoded(manifest: e.manifest, indices: e.indices)
            let ds = try Dataset(store: store, uri: uri, manifestPath: e.path, decoded: decoded)
            return try await ds.append(schema: schema, batches: batches, options: options)
        }
    }

    /// Appends `batches` as new fragments in a new version, written with this dataset's file version.
    /// Throws `schemaMismatch` naming the first field that differs from the dataset's schema.
    public func append<S: AsyncSequence>(schema: Schema, batches: S, options: WriteOptions = WriteOptions(mode: .append))
        async throws -> Dataset where S.Element == RecordBatch
    {
        try checkSameSchema(schema)
        let version = try fileVersionForWrites()
        let frags = try await Dataset.writeFragments(store: store, schema: lanceSchema, batches: batches,
                                                     version: version, options: options)
        return try await Committer.commit(store: store, uri: uri, readVersion: self.version, operation: .append(frags),
                                          maxAttempts: options.maxCommitAttempts)
    }

    /// ``append(schema:batches:options:)`` with the batches in an array.
    public func append(_ batches: [RecordBatch], options: WriteOptions = WriteOptions(mode: .append)) async throws -> Dataset {
        try await append(schema: batches.first?.schema ?? schema, batches: ArrayBatches(batches), options: options)
    }

    /// The file version appends use: the dataset's `data_format.version`.
    func fileVersionForWrites() throws -> FileVersion {
        switch dataStorageVersion {
        case "2.0", "0.3": return .v2_0
        case "2.1": return .v2_1
        case "2.2", "stable": return .v2_2
        case "", "legacy", "0.1":
            throw LanceError.unsupported("writing to a dataset of legacy (0.1) files is not implemented", path: uri)
        default:
            throw LanceError.unsupported("cannot write Lance file version `\(dataStorageVersion)`", path: uri)
        }
    }

    func checkSameSchema(_ given: Schema) throws {
        let mine = schema
        for f in mine.fields where given.index(of: f.name) == nil {
            throw LanceError(.schemaMismatch, "the data has no field `\(f.name)` of the dataset's schema", column: f.name)
        }
        for (k, f) in given.fields.enumerated() {
            guard let j = mine.index(of: f.name) else {
                throw LanceError(.schemaMismatch, "field `\(f.name)` is not in the dataset's schema", column: f.name)
            }
            guard j == k else {
                throw LanceError(.schemaMismatch, "field `\(f.name)` is at position \(k), the dataset has it at \(j)", column: f.name)
            }
            guard f.type == mine.fields[j].type else {
                throw LanceError(.schemaMismatch, "field `\(f.name)` has type \(f.type), the dataset's is \(mine.fields[j].type)",
                                 column: f.name)
            }
        }
    }

    // MARK: - Data files

    /// Writes the batches into data files of at most `maxRowsPerFile` rows (and about
    /// `maxBytesPerFile` bytes) and returns one fragment per file (ids assigned at commit).
    static func writeFragments<S: AsyncSequence>(store: any ObjectStore, schema: LanceSchema, batches: S,
                                                 version: FileVersion, options: WriteOptions) async throws
        -> [Lance_Table_DataFragment] where S.Element == RecordBatch
    {
        var out: [Lance_Table_DataFragment] = []
        var writer: LanceFileWriter?
        var path = ""
        var rows = 0
        var bytes = 0
        func finish() async throws {
            guard let w = writer else { return }
            writer = nil
            let summary = try await w.finish()
            try syncIfLocal(store: store, path: "data/" + path)
            var d = Lance_Table_DataFile()
            d.path = path
            d.fields = summary.fieldIds
            d.columnIndices = summary.columnIndices
            d.fileMajorVersion = version.major
            d.fileMinorVersion = version.minor
            d.fileSizeBytes = summary.size
            var f = Lance_Table_DataFragment()
            f.files = [d]
            f.physicalRows = summary.rows
            out.append(f)
        }
        for try await batch in batches {
            var rest = batch
            while rest.count > 0 {
                if writer == nil {
                    path = newDataFileName()
                    writer = try LanceFileWriter(object: try await dataSink(store: store, path: "data/" + path),
                                                 schema: schema, version: version)
                    rows = 0
                    bytes = 0
                }
                let room = options.maxRowsPerFile - rows
                let take = min(room, rest.count)
                let piece = take == rest.count ? rest : rest.slice(0, take)
                try await writer!.write(piece)
                rows += take
                bytes += approximateBytes(piece)
                rest = take == rest.count ? RecordBatch(emptyWithCount: 0) : rest.slice(take, rest.count - take)
                if rows >= options.maxRowsPerFile || bytes >= options.maxBytesPerFile { try await finish() }
            }
        }
        try await finish()
        return out
    }

    /// Flushes a finished local data file to disk so that a published manifest never names lost bytes.
    static func syncIfLocal(store: any ObjectStore, path: String) throws {
        guard let local = store as? LocalStore else { return }
        let full = local.root + "/" + path
        let fd = Foundation.open(full, O_RDONLY)
        guard fd >= 0 else { throw LanceError(.io, "cannot reopen data file to sync it", path: full) }
        defer { _ = Foundation.close(fd) }
        guard fsync(fd) == 0 else { throw LanceError(.io, "fsync failed", path: full) }
    }

    /// A unique data file name: 32 random hex digits.
    static func newDataFileName() -> String {
        newUUIDString().replacingOccurrences(of: "-", with: "") + ".lance"
    }

    static func approximateBytes(_ a: ArrayData) -> Int {
        a.buffers.reduce(0) { $0 + $1.count } + a.children.reduce(0) { $0 + approximateBytes($1) }
    }

    static func approximateBytes(_ b: RecordBatch) -> Int { b.columns.reduce(0) { $0 + approximateBytes($1) } }

    /// A sink for a new object: a streamed local file for a ``LocalStore``, else buffered and `put` on close.
    static func dataSink(store: any ObjectStore, path: String) async throws -> any FileSink {
        if let local = store as? LocalStore {
            let full = local.root + "/" + path
            let dir = (full as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return try LocalFileSink(path: full)
        }
        return StoreFileSink(store: store, path: path)
    }
}

/// A ``FileSink`` that buffers a file and stores it with one `put` when closed.
actor StoreFileSink: FileSink {
    let store: any ObjectStore
    let path: String
    private var bytes: [UInt8] = []
    private var closed = false

    init(store: any ObjectStore, path: String) {
        self.store = store
        self.path = path
    }

    func write(_ b: [UInt8]) async throws {
        guard !closed else { throw LanceError.invalid("write to a closed sink") }
        bytes.append(contentsOf: b)
    }

    func close() async throws {
        guard !closed else { return }
        closed = true
        try await store.put(path, bytes)
        bytes = []
    }
}

/// An array of batches as an `AsyncSequence`.
struct ArrayBatches: AsyncSequence, Sendable {
    typealias Element = RecordBatch
    let batches: [RecordBatch]
    init(_ b: [RecordBatch]) { batches = b }

    struct AsyncIterator: AsyncIteratorProtocol {
        var i = 0
        let batches: [RecordBatch]
        mutating func next() async throws -> RecordBatch? {
            guard i < batches.count else { return nil }
            defer { i += 1 }
            return batches[i]
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(batches: batches) }
}
