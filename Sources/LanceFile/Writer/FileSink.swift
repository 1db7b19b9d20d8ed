#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LanceCore

#if canImport(Glibc)
private let posixWrite = Glibc.write
private let posixClose = Glibc.close
#elseif canImport(Musl)
private let posixWrite = Musl.write
private let posixClose = Musl.close
#elseif canImport(Darwin)
private let posixWrite = Darwin.write
private let posixClose = Darwin.close
#endif

/// Where a ``LanceFileWriter`` sends its bytes: an append-only stream.
///
/// The writer calls `write` with consecutive pieces of the file and `close` once after the footer.
public protocol FileSink: AnyObject, Sendable {
    /// Appends bytes at the current end of the output.
    func write(_ bytes: [UInt8]) async throws
    /// Flushes and releases the output. Called once, after the last `write`.
    func close() async throws
}

/// A sink that keeps the whole file in memory (tests, small files, object-store uploads).
public actor MemoryFileSink: FileSink {
    public private(set) var bytes: [UInt8] = []
    public private(set) var isClosed = false

    public init() {}

    public func write(_ bytes: [UInt8]) async throws {
        guard !isClosed else { throw LanceError(.invalidInput, "write to a closed sink") }
        self.bytes.append(contentsOf: bytes)
    }

    public func close() async throws { isClosed = true }
}

/// A sink that appends to a local file, creating or truncating it.
public actor LocalFileSink: FileSink {
    public nonisolated let path: String
    private var fd: Int32

    /// Opens (creates or truncates) `path` for writing.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw LanceError(.io, "cannot create file: \(String(cString: strerror(errno)))", path: path)
        }
        self.fd = fd
    }

    public func write(_ bytes: [UInt8]) async throws {
        guard fd >= 0 else { throw LanceError(.invalidInput, "write to a closed sink", path: path) }
        var done = 0
        let n = bytes.count
        while done < n {
            let r = bytes.withUnsafeBytes { raw in
                posixWrite(fd, raw.baseAddress! + done, n - done)
            }
            if r < 0 {
                if errno == EINTR { continue }
                throw LanceError(.io, "write failed: \(String(cString: strerror(errno)))", path: path)
            }
            done += r
        }
    }

    public func close() async throws {
        guard fd >= 0 else { return }
        let r = posixClose(fd)
        fd = -1
        if r != 0 { throw LanceError(.io, "close failed: \(String(cString: strerror(errno)))", path: path) }
    }

    deinit { if fd >= 0 { _ = posixClose(fd) } }
}
