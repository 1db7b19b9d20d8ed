import LanceCore

// A minimal FlatBuffers reader and builder: just what Arrow IPC metadata needs (tables, scalars,
// strings, unions, vectors of tables / structs / scalars). Every read is bounds-checked and throws.

/// A table inside a flatbuffer.
struct FBTable {
    let buf: [UInt8]
    let pos: Int
    private let vtable: Int
    private let vtableSize: Int

    init(_ buf: [UInt8], at pos: Int) throws {
        guard pos >= 0, pos + 4 <= buf.count else { throw FB.error("table offset \(pos) out of range") }
        let soff = Int(FB.load(Int32.self, buf, pos))
        let vt = pos - soff
        guard vt >= 0, vt + 4 <= buf.count else { throw FB.error("vtable offset \(vt) out of range") }
        let size = Int(FB.load(UInt16.self, buf, vt))
        guard size >= 4, size % 2 == 0, vt + size <= buf.count else { throw FB.error("invalid vtable size \(size)") }
        self.buf = buf
        self.pos = pos
        vtable = vt
        vtableSize = size
    }

    /// The root table of a flatbuffer.
    static func root(_ buf: [UInt8]) throws -> FBTable {
        guard buf.count >= 4 else { throw FB.error("flatbuffer of \(buf.count) bytes") }
        return try FBTable(buf, at: Int(FB.load(UInt32.self, buf, 0)))
    }

    /// Absolute position of field `id`, or nil when absent.
    func field(_ id: Int) -> Int? {
        let e = 4 + 2 * id
        guard e + 2 <= vtableSize else { return nil }
        let o = Int(FB.load(UInt16.self, buf, vtable + e))
        return o == 0 ? nil : pos + o
    }

    func scalar<T: FixedWidthInteger>(_ id: Int, _ def: T) throws -> T {
        guard let f = field(id) else { return def }
        guard f + MemoryLayout<T>.size <= buf.count else { throw FB.error("scalar field out of range") }
        return FB.load(T.self, buf, f)
    }

    func bool(_ id: Int, _ def: Bool = false) throws -> Bool { try scalar(id, UInt8(def ? 1 : 0)) != 0 }

    /// Follows the uoffset stored at field `id`.
    private func indirect(_ id: Int) throws -> Int? {
        guard let f = field(id) else { return nil }
        guard f + 4 <= buf.count else { throw FB.error("offset field out of range") }
        let target = f + Int(FB.load(UInt32.self, buf, f))
        guard target < buf.count else { throw FB.error("offset \(target) out of range") }
        return target
    }

    func table(_ id: Int) throws -> FBTable? {
        guard let t = try indirect(id) else { return nil }
        return try FBTable(buf, at: t)
    }

    func string(_ id: Int) throws -> String? {
        guard let s = try indirect(id) else { return nil }
        guard s + 4 <= buf.count else { throw FB.error("string out of range") }
        let n = Int(FB.load(UInt32.self, buf, s))
        guard n <= buf.count - s - 4 else { throw FB.error("string of \(n) bytes out of range") }
        return String(decoding: buf[s + 4 ..< s + 4 + n], as: UTF8.self)
    }

    /// Start position and element count of the vector at field `id` (elements of `elementSize` bytes).
    func vector(_ id: Int, elementSize: Int) throws -> (start: Int, count: Int)? {
        guard let v = try indirect(id) else { return nil }
        guard v + 4 <= buf.count else { throw FB.error("vector out of range") }
        let n = Int(FB.load(UInt32.self, buf, v))
        guard n <= (buf.count - v - 4) / max(elementSize, 1) else { throw FB.error("vector of \(n) elements out of range") }
        return (v + 4, n)
    }

    func tables(_ id: Int) throws -> [FBTable] {
        guard let (start, n) = try vector(id, elementSize: 4) else { return [] }
        return try (0 ..< n).map { k in
            let p = start + 4 * k
            return try FBTable(buf, at: p + Int(FB.load(UInt32.self, buf, p)))
        }
    }

    func scalars<T: FixedWidthInteger>(_ id: Int, _: T.Type) throws -> [T] {
        let w = MemoryLayout<T>.size
        guard let (start, n) = try vector(id, elementSize: w) else { return [] }
        return (0 ..< n).map { FB.load(T.self, buf, start + w * $0) }
    }
}

enum FB {
    static func error(_ m: String) -> LanceError { LanceError.corrupt("Arrow IPC metadata: \(m)") }

    @inline(__always)
    static func load<T: FixedWidthInteger>(_: T.Type, _ buf: [UInt8], _ at: Int) -> T {
        buf.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) }
    }
}

/// Builds a flatbuffer back to front (children before parents), as the format requires
/// forward-pointing offsets. Offsets returned are distances from the end of the buffer.
struct FBBuilder {
    /// The buffer's bytes in reverse order (index 0 is the last byte of the final buffer).
    private var rev: [UInt8] = []
    private var maxAlign = 8
    private var fields: [(id: Int, at: Int)] = []
    private var tableStart = 0

    typealias Ref = Int

    var offset: Int { rev.count }

    /// Pads so that after writing `size` more bytes the offset is a multiple of `align`.
    mutating func prep(_ align: Int, _ size: Int) {
        maxAlign = max(maxAlign, align)
        let pad = (align - (rev.count + size) % align) % align
        rev.append(contentsOf: repeatElement(0, count: pad))
    }

    private mutating func push<T: FixedWidthInteger>(_ v: T) {
        // appended reversed: most significant byte first
        let le = v.littleEndian
        withUnsafeBytes(of: le) { raw in
            for k in stride(from: raw.count - 1, through: 0, by: -1) { rev.append(raw[k]) }
        }
    }

    mutating func add<T: FixedWidthInteger>(_ v: T) {
        prep(MemoryLayout<T>.size, 0)
        push(v)
    }

    /// Writes a uoffset to `ref` at the current position.
    mutating func addRef(_ ref: Ref) {
        prep(4, 0)
        push(UInt32(rev.count + 4 - ref))
    }

    mutating func string(_ s: String) -> Ref {
        let bytes = Array(s.utf8)
        prep(4, bytes.count + 1)
        rev.append(0)
        for b in bytes.reversed() { rev.append(b) }
        push(UInt32(bytes.count))
        return rev.count
    }

    mutating func vector(of refs: [Ref]) -> Ref {
        prep(4, 4 * refs.count)
        for r in refs.reversed() { addRef(r) }
        push(UInt32(refs.count))
        return rev.count
    }

    mutating func vector<T: FixedWidthInteger>(ofScalars values: [T]) -> Ref {
        let w = MemoryLayout<T>.size
        prep(4, w * values.count)
        prep(w, w * values.count)
        for v in values.reversed() { push(v) }
        push(UInt32(values.count))
        return rev.count
    }

    /// A vector of structs, each given as its little-endian bytes (all `structSize` long, `align`-aligned).
    mutating func vector(ofStructs structs: [[UInt8]], structSize: Int, align: Int) -> Ref {
        prep(4, structSize * structs.count)
        prep(align, structSize * structs.count)
        for s in structs.reversed() {
            precondition(s.count == structSize)
            for b in s.reversed() { rev.append(b) }
        }
        push(UInt32(structs.count))
        return rev.count
    }

    mutating func startTable() {
        fields = []
        tableStart = rev.count
    }

    mutating func field<T: FixedWidthInteger>(_ id: Int, _ v: T) {
        add(v)
        fields.append((id, rev.count))
    }

    mutating func field(_ id: Int, ref: Ref) {
        addRef(ref)
        fields.append((id, rev.count))
    }

    /// A struct stored inline in a table (bytes little-endian).
    mutating func field(_ id: Int, inlineStruct bytes: [UInt8], align: Int) {
        prep(align, bytes.count)
        for b in bytes.reversed() { rev.append(b) }
        fields.append((id, rev.count))
    }

    mutating func endTable() -> Ref {
        prep(4, 0)
        push(Int32(0))  // soffset placeholder
        let table = rev.count
        let numFields = (fields.map(\.id).max() ?? -1) + 1
        var entries = [UInt16](repeating: 0, count: numFields)
        for (id, at) in fields { entries[id] = UInt16(table - at) }
        let vtSize = 4 + 2 * numFields
        for e in entries.reversed() { push(e) }
        push(UInt16(table - tableStart))
        push(UInt16(vtSize))
        let vt = rev.count
        // soffset = table address - vtable address = vt - table (vtable sits just before the table)
        let soff = Int32(vt - table)
        withUnsafeBytes(of: soff.littleEndian) { raw in
            for k in 0 ..< 4 { rev[table - 1 - k] = raw[k] }
        }
        fields = []
        return table
    }

    /// The finished buffer with `root` as its root table; its size is a multiple of 8.
    mutating func finish(_ root: Ref) -> [UInt8] {
        prep(maxAlign, 4)
        addRef(root)
        return rev.reversed()
    }
}
