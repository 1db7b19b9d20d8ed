#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LanceArrow
import LanceCore

/// An object store over a local directory. Reads are positional (`pread`); writes go to a
/// temporary file first and are published with `rename` (replace) or `link` (create-if-absent).
public struct LocalStore: ObjectStore {
    public let root: String

    public init(root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    func full(_ path: String) -> String { path.isEmpty ? root : root + "/" + path }

    static func errnoMessage() -> String { String(cString: strerror(errno)) }

    final class File: ReadableObject, @unchecked Sendable {
        let path: String
        let fd: Int32
        let size: UInt64

        init(path: String, fd: Int32, size: UInt64) {
            self.path = path
            self.fd = fd
            self.size = size
        }

        deinit { close(fd) }

        func read(_ range: Range<UInt64>) async throws -> Buffer {
            try checkedRange(range)
            var failure: String?
            // Not zeroed first: every byte is read into, or the read fails and the buffer is dropped.
            let buffer = Buffer(uninitializedCount: Int(range.count)) { out in failure = readFully(range, out) }
            if let failure {
                throw LanceError(.io, "read failed: \(failure)", path: path, position: range.lowerBound)
            }
            return buffer
        }

        func read(_ range: Range<UInt64>, into destination: UnsafeMutableRawBufferPointer) throws -> Bool {
            try checkedRange(range)
            precondition(destination.count >= Int(range.count), "read destination smaller than the range")
            if let failure = readFully(range, destination) {
                throw LanceError(.io, "read failed: \(failure)", path: path, position: range.lowerBound)
            }
            return true
        }

        /// `pread`s `range` into `out`; nil, or what went wrong.
        private func readFully(_ range: Range<UInt64>, _ out: UnsafeMutableRawBufferPointer) -> String? {
            let n = Int(range.count)
            var done = 0
            while done < n {
                let r = pread(fd, out.baseAddress! + done, n - done, off_t(range.lowerBound) + off_t(done))
                if r < 0 {
                    if errno == EINTR { continue }
                    return LocalStore.errnoMessage()
                }
                if r == 0 { return "unexpected end of file" }
                done += r
            }
            return nil
        }
    }

    public func open(_ path: String) async throws -> any ReadableObject {
        let p = full(path)
        let fd = Glibc_open(p, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { throw LanceError.notFound("no such file", path: p) }
            throw LanceError(.io, "cannot open: \(LocalStore.errnoMessage())", path: p)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw LanceError(.io, "cannot stat: \(LocalStore.errnoMessage())", path: p)
        }
        return File(path: p, fd: fd, size: UInt64(st.st_size))
    }

    public func size(_ path: String) async throws -> UInt64? {
        var st = stat()
        if stat(full(path), &st) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw LanceError(.io, "cannot stat: \(LocalStore.errnoMessage())", path: full(path))
        }
        return UInt64(st.st_size)
    }

    public func list(_ directory: String) async throws -> [ObjectMeta] {
        let dirPath = full(directory)
        guard let dir = opendir(dirPath) else {
            if errno == ENOENT || errno == ENOTDIR { return [] }
            throw LanceError(.io, "cannot list: \(LocalStore.errnoMessage())", path: dirPath)
        }
        defer { closedir(dir) }
        var out: [ObjectMeta] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let rel = directory.isEmpty ? name : directory + "/" + name
            var st = stat()
            guard stat(full(rel), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            #if canImport(Darwin)
            let mtime = Double(st.st_mtimespec.tv_sec) + Double(st.st_mtimespec.tv_nsec) / 1e9
            #else
            let mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
            #endif
            out.append(ObjectMeta(path: rel, size: UInt64(st.st_size), modified: mtime))
        }
        return out
    }

    /// Creates every missing directory on the way to `path`'s parent.
    func makeParents(_ path: String) throws {
        var parts = full(path).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts.removeLast()
        var cur = ""
        for (i, part) in parts.enumerated() {
            cur += (i == 0 ? "" : "/") + part
            if cur.isEmpty { continue }
            if mkdir(cur, 0o755) != 0 && errno != EEXIST {
                throw LanceError(.io, "cannot create directory: \(LocalStore.errnoMessage())", path: cur)
            }
        }
    }

    /// Writes `data` to a fresh temporary file next to `path`, fsyncs it (unless `durable` is false),
    /// and returns its name.
    func writeTemp(_ path: String, _ data: [UInt8], durable: Bool = true) throws -> String {
        try makeParents(path)
        let tmp = full(path) + ".tmp-\(UInt64.random(in: 0 ... .max))"
        let fd = Glibc_open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw LanceError(.io, "cannot create: \(LocalStore.errnoMessage())", path: tmp) }
        defer { close(fd) }
        var done = 0
        try data.withUnsafeBytes { raw in
            while done < raw.count {
                let r = write(fd, raw.baseAddress! + done, raw.count - done)
                if r < 0 {
                    if errno == EINTR { continue }
                    let msg = LocalStore.errnoMessage()
                    unlink(tmp)
                    throw LanceError(.io, "write failed: \(msg)", path: tmp)
                }
                done += r
            }
        }
        guard !durable || fsync(fd) == 0 else {
            let msg = LocalStore.errnoMessage()
            unlink(tmp)
            throw LanceError(.io, "fsync failed: \(msg)", path: tmp)
        }
        return tmp
    }

    public func put(_ path: String, _ data: [UInt8]) async throws {
        let tmp = try writeTemp(path, data)
        guard rename(tmp, full(path)) == 0 else {
            let msg = LocalStore.errnoMessage()
            unlink(tmp)
            throw LanceError(.io, "rename failed: \(msg)", path: full(path))
        }
    }

    /// Like ``put(_:_:)`` without the fsync: the rename is atomic, but after a crash the old object may
    /// remain (what the hint is for, readers check).
    public func putHint(_ path: String, _ data: [UInt8]) async throws {
        let tmp = try writeTemp(path, data, durable: false)
        guard rename(tmp, full(path)) == 0 else {
            let msg = LocalStore.errnoMessage()
            unlink(tmp)
            throw LanceError(.io, "rename failed: \(msg)", path: full(path))
        }
    }

    public func putIfAbsent(_ path: String, _ data: [UInt8]) async throws -> Bool {
        let tmp = try writeTemp(path, data)
        defer { unlink(tmp) }
        // link(2) fails with EEXIST instead of replacing: an atomic create-if-absent.
        if link(tmp, full(path)) == 0 { return true }
        if errno == EEXIST { return false }
        throw LanceError(.io, "cannot publish: \(LocalStore.errnoMessage())", path: full(path))
    }

    public func delete(_ path: String) async throws {
        if unlink(full(path)) != 0 && errno != ENOENT {
            throw LanceError(.io, "cannot delete: \(LocalStore.errnoMessage())", path: full(path))
        }
    }
}

@inline(__always)
private func Glibc_open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
    open(path, flags, mode)
}
