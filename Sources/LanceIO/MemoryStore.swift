import LanceArrow
import LanceCore
import Synchronization

/// An object store held in memory, for tests.
public final class MemoryStore: ObjectStore {
    private let objects = Mutex<[String: [UInt8]]>([:])
    public let root: String

    public init(root: String = "memory://") { self.root = root }

    private struct Object: ReadableObject {
        let path: String
        let data: Buffer
        var size: UInt64 { UInt64(data.count) }
        func read(_ range: Range<UInt64>) async throws -> Buffer {
            try checkedRange(range)
            return data.slice(Int(range.lowerBound) ..< Int(range.upperBound))
        }
    }

    public func open(_ path: String) async throws -> any ReadableObject {
        guard let bytes = objects.withLock({ $0[path] }) else {
            throw LanceError.notFound("no such object", path: path)
        }
        return Object(path: path, data: Buffer(bytes))
    }

    public func size(_ path: String) async throws -> UInt64? {
        objects.withLock { $0[path].map { UInt64($0.count) } }
    }

    public func list(_ directory: String) async throws -> [ObjectMeta] {
        let prefix = directory.isEmpty ? "" : directory + "/"
        return objects.withLock { all in
            all.compactMap { key, value -> ObjectMeta? in
                guard key.hasPrefix(prefix) else { return nil }
                let rest = key.dropFirst(prefix.count)
                guard !rest.contains("/") else { return nil }
                return ObjectMeta(path: key, size: UInt64(value.count))
            }
        }
    }

    public func put(_ path: String, _ data: [UInt8]) async throws {
        objects.withLock { $0[path] = data }
    }

    public func putIfAbsent(_ path: String, _ data: [UInt8]) async throws -> Bool {
        objects.withLock { all in
            if all[path] != nil { return false }
            all[path] = data
            return true
        }
    }

    public func delete(_ path: String) async throws {
        _ = objects.withLock { $0.removeValue(forKey: path) }
    }

    /// Replaces an object's bytes directly (tests use it to corrupt files).
    public func overwrite(_ path: String, with data: [UInt8]) {
        objects.withLock { $0[path] = data }
    }
}
