import LanceArrow
import LanceCore

/// Metadata of one stored object.
public struct ObjectMeta: Sendable, Hashable {
    /// Path relative to the store's root, `/`-separated.
    public var path: String
    public var size: UInt64
    /// Last modification time, seconds since the Unix epoch (0 when unknown).
    public var modified: Double

    public init(path: String, size: UInt64, modified: Double = 0) {
        self.path = path
        self.size = size
        self.modified = modified
    }
}

/// An open object that supports positional reads without loading it whole.
public protocol ReadableObject: Sendable {
    var path: String { get }
    var size: UInt64 { get }
    /// Reads bytes `range`; throws `corruptFile` if the range is past the end.
    func read(_ range: Range<UInt64>) async throws -> Buffer
    /// Reads bytes `range` straight into `destination` (at least `range.count` bytes) when the
    /// object can do that without an intermediate buffer (a local file: one `pread`), blocking the
    /// calling thread; returns false, having read nothing, when it cannot (then use ``read(_:)``).
    /// Lets a hot loop reuse one scratch buffer instead of allocating per read.
    func read(_ range: Range<UInt64>, into destination: UnsafeMutableRawBufferPointer) throws -> Bool
}

extension ReadableObject {
    public func read(_ range: Range<UInt64>, into destination: UnsafeMutableRawBufferPointer) throws -> Bool { false }
}

extension ReadableObject {
    /// Reads the whole object.
    public func readAll() async throws -> Buffer { try await read(0 ..< size) }

    /// Reads `range` and checks it lies inside the object.
    public func checkedRange(_ range: Range<UInt64>) throws {
        guard range.upperBound <= size else {
            throw LanceError.corrupt("read of bytes \(range.lowerBound)..<\(range.upperBound) past the end (size \(size))",
                                     path: path, position: range.lowerBound)
        }
    }
}

/// A key–value store of immutable objects: a local directory, memory, and later HTTP or S3.
///
/// Paths are relative to the store's root and use `/`. Implementations must make
/// ``putIfAbsent(_:_:)`` atomic: it is what makes commits safe.
public protocol ObjectStore: Sendable {
    /// A description of the root for messages (a directory path or URL).
    var root: String { get }
    func open(_ path: String) async throws -> any ReadableObject
    /// Size of an object, or nil if it does not exist.
    func size(_ path: String) async throws -> UInt64?
    /// Objects directly under `directory` (not recursive), in no particular order.
    func list(_ directory: String) async throws -> [ObjectMeta]
    /// Writes an object, replacing any existing one (atomic: readers see old or new bytes, never a mix).
    func put(_ path: String, _ data: [UInt8]) async throws
    /// Writes an object only if none exists at `path`; returns false (writing nothing) if one does.
    func putIfAbsent(_ path: String, _ data: [UInt8]) async throws -> Bool
    /// Writes an advisory object (a hint that readers may ignore): atomic like ``put(_:_:)`` but not
    /// necessarily durable — a crash may leave the old object.
    func putHint(_ path: String, _ data: [UInt8]) async throws
    func delete(_ path: String) async throws
}

extension ObjectStore {
    public func putHint(_ path: String, _ data: [UInt8]) async throws { try await put(path, data) }

    public func exists(_ path: String) async throws -> Bool { try await size(path) != nil }

    public func read(_ path: String) async throws -> Buffer { try await open(path).readAll() }
}

/// Joins path components with `/`, dropping empty ones.
public func joinPath(_ parts: String...) -> String {
    parts.filter { !$0.isEmpty }.joined(separator: "/")
}
