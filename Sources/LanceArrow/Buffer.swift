#if _endian(big)
#error("Lancelet assumes a little-endian machine, as the Lance format does.")
#endif

/// Owns one 64-byte aligned allocation. Immutable after the builder that filled it returns.
@usableFromInline
final class BufferStorage: @unchecked Sendable {
    @usableFromInline let pointer: UnsafeMutableRawPointer
    @usableFromInline let capacity: Int

    @usableFromInline
    init(capacity: Int) {
        self.capacity = capacity
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(capacity, 1), alignment: 64)
    }

    deinit { pointer.deallocate() }
}

/// An immutable, reference-counted run of bytes in the Arrow memory layout (64-byte aligned when
/// created here). Slicing shares the allocation.
public struct Buffer: Sendable {
    @usableFromInline let storage: BufferStorage
    /// Byte offset of this buffer inside its storage.
    @usableFromInline let start: Int
    /// Number of bytes.
    public let count: Int

    @usableFromInline
    init(storage: BufferStorage, start: Int, count: Int) {
        self.storage = storage
        self.start = start
        self.count = count
    }

    /// An empty buffer.
    public static let empty = Buffer(zeroed: 0)

    /// A buffer of `count` zero bytes.
    public init(zeroed count: Int) {
        precondition(count >= 0, "negative buffer size")
        storage = BufferStorage(capacity: count)
        storage.pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
        start = 0
        self.count = count
    }

    /// Allocates `count` zeroed bytes and lets `body` fill them.
    @inlinable
    public init(count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        self.init(zeroed: count)
        try body(UnsafeMutableRawBufferPointer(start: storage.pointer, count: count))
    }

    /// Allocates `count` bytes without zeroing them and lets `body` fill them. `body` must write every
    /// byte (the allocation is not touched before, so large results skip a zero-fill pass).
    @inlinable
    public init(uninitializedCount count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        precondition(count >= 0, "negative buffer size")
        storage = BufferStorage(capacity: count)
        start = 0
        self.count = count
        try body(UnsafeMutableRawBufferPointer(start: storage.pointer, count: count))
    }

    /// Copies the bytes.
    public init(copying bytes: UnsafeRawBufferPointer) {
        self.init(zeroed: bytes.count)
        if bytes.count > 0 { storage.pointer.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
    }

    /// Copies the bytes of any contiguous collection of bytes.
    public init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let n = bytes.count
        self.init(zeroed: n)
        let done = bytes.withContiguousStorageIfAvailable { src -> Bool in
            if n > 0 { storage.pointer.copyMemory(from: src.baseAddress!, byteCount: n) }
            return true
        }
        if done == nil {
            var p = storage.pointer.assumingMemoryBound(to: UInt8.self)
            for b in bytes { p.pointee = b; p += 1 }
        }
    }

    /// Copies the values of a trivial type (integers, floats) in their little-endian memory layout.
    public init<T: BitwiseCopyable>(values: [T]) {
        let n = values.count * MemoryLayout<T>.stride
        self.init(zeroed: n)
        values.withUnsafeBytes { src in
            if n > 0 { storage.pointer.copyMemory(from: src.baseAddress!, byteCount: n) }
        }
    }

    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.pointer + start, count: count))
    }

    /// The bytes `[offset, offset + length)`, sharing storage. Traps when out of range.
    public func slice(_ offset: Int, _ length: Int) -> Buffer {
        precondition(offset >= 0 && length >= 0 && offset + length <= count, "buffer slice out of range")
        return Buffer(storage: storage, start: start + offset, count: length)
    }

    /// The bytes in `range`, sharing storage. Traps when out of range.
    public func slice(_ range: Range<Int>) -> Buffer { slice(range.lowerBound, range.count) }

    @inlinable
    public subscript(i: Int) -> UInt8 {
        precondition(i >= 0 && i < count, "buffer index out of range")
        return storage.pointer.load(fromByteOffset: start + i, as: UInt8.self)
    }

    /// Loads the `index`-th value of type `T` (unaligned loads are allowed). Traps when out of range.
    @inlinable
    public func load<T: BitwiseCopyable>(_: T.Type = T.self, at index: Int) -> T {
        let size = MemoryLayout<T>.size
        precondition(index >= 0 && (index + 1) * size <= count, "buffer element index out of range")
        return storage.pointer.loadUnaligned(fromByteOffset: start + index * size, as: T.self)
    }

    /// Loads a value of type `T` at a byte offset (unaligned allowed). Traps when out of range.
    @inlinable
    public func load<T: BitwiseCopyable>(_: T.Type = T.self, byteOffset: Int) -> T {
        precondition(byteOffset >= 0 && byteOffset + MemoryLayout<T>.size <= count, "buffer read out of range")
        return storage.pointer.loadUnaligned(fromByteOffset: start + byteOffset, as: T.self)
    }

    /// Number of whole `T` values in the buffer.
    @inlinable
    public func elementCount<T>(of _: T.Type) -> Int { count / MemoryLayout<T>.stride }

    /// Copies the buffer's bytes out.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Copies the buffer's contents out as values of `T`.
    public func toArray<T: BitwiseCopyable>(of _: T.Type = T.self) -> [T] {
        let n = count / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: n) { out, initialized in
            withUnsafeBytes { src in
                if n > 0 {
                    UnsafeMutableRawBufferPointer(out).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: src[0 ..< n * MemoryLayout<T>.stride]))
                }
            }
            initialized = n
        }
    }
}

extension Buffer: Equatable {
    /// Byte-wise equality.
    public static func == (a: Buffer, b: Buffer) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
    }
}

/// A growable byte buffer used to build a ``Buffer``.
public struct BufferBuilder: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public var count: Int { bytes.count }

    public mutating func append(_ byte: UInt8) { bytes.append(byte) }

    public mutating func append<C: Collection>(contentsOf other: C) where C.Element == UInt8 {
        bytes.append(contentsOf: other)
    }

    public mutating func append(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }

    /// Appends the little-endian bytes of a trivial value.
    public mutating func append<T: BitwiseCopyable>(value: T) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }

    public mutating func appendZeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }

    public func build() -> Buffer { Buffer(bytes) }
}
