import LanceArrow
import LanceCore
import LanceIO
import LanceProto
import SwiftProtobuf
import Synchronization

/// A Lance data-file format version as recorded in manifests (2.0, 2.1, 2.2). Files written as 2.0
/// carry 0.3 in their footer.
public struct FileVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: UInt32
    public var minor: UInt32

    public init(_ major: UInt32, _ minor: UInt32) {
        self.major = major
        self.minor = minor
    }

    public static let v2_0 = FileVersion(2, 0)
    public static let v2_1 = FileVersion(2, 1)
    public static let v2_2 = FileVersion(2, 2)

    /// The version a footer's (major, minor) stands for; throws for legacy (0.1/0.2) and unknown versions.
    public static func fromFooter(major: UInt16, minor: UInt16, path: String) throws -> FileVersion {
        switch (major, minor) {
        case (0, 3), (2, 0): return .v2_0
        case (2, 1): return .v2_1
        case (2, 2): return .v2_2
        case (0, 1), (0, 2):
            throw LanceError.unsupported("legacy Lance file format \(major).\(minor) (data_storage_version 0.1) is not supported", path: path)
        default:
            throw LanceError.unsupported("Lance file format version \(major).\(minor) is not supported", path: path)
        }
    }

    public static func < (a: FileVersion, b: FileVersion) -> Bool { (a.major, a.minor) < (b.major, b.minor) }

    public var description: String { "\(major).\(minor)" }
}

/// The fixed 40-byte tail of a v2 Lance file.
public struct FileFooter: Sendable, Hashable {
    public static let size = 40
    public var columnMetadataStart: UInt64
    public var columnMetadataOffsetsStart: UInt64
    public var globalBufferOffsetsStart: UInt64
    public var globalBufferCount: UInt32
    public var columnCount: UInt32
    public var majorVersion: UInt16
    public var minorVersion: UInt16

    /// Parses the last 40 bytes of a file.
    public init(_ b: Buffer, path: String, fileSize: UInt64) throws {
        guard b.count == FileFooter.size else { throw LanceError.corrupt("footer is \(b.count) bytes, expected 40", path: path) }
        guard b.slice(36, 4).bytes == Array("LANC".utf8) else {
            throw LanceError.corrupt("missing LANC magic at the end of the file", path: path, position: fileSize - 4)
        }
        columnMetadataStart = b.load(UInt64.self, byteOffset: 0)
        columnMetadataOffsetsStart = b.load(UInt64.self, byteOffset: 8)
        globalBufferOffsetsStart = b.load(UInt64.self, byteOffset: 16)
        globalBufferCount = b.load(UInt32.self, byteOffset: 24)
        columnCount = b.load(UInt32.self, byteOffset: 28)
        majorVersion = b.load(UInt16.self, byteOffset: 32)
        minorVersion = b.load(UInt16.self, byteOffset: 34)
        let end = fileSize - UInt64(FileFooter.size)
        guard columnMetadataStart <= columnMetadataOffsetsStart,
              columnMetadataOffsetsStart <= end, globalBufferOffsetsStart <= end,
              UInt64(columnCount) * 16 <= end - columnMetadataOffsetsStart,
              UInt64(globalBufferCount) * 16 <= end - globalBufferOffsetsStart
        else {
            throw LanceError.corrupt("footer offsets are inconsistent with the file size \(fileSize)", path: path, position: end)
        }
    }
}

/// Where a buffer lives in a file.
public struct BufferLocation: Sendable, Hashable {
    public var offset: UInt64
    public var size: UInt64
}

/// An open Lance v2 data file: footer, column metadata and global buffers, with positional reads.
///
/// Opening reads only the tail of the file (footer, offset tables, column metadata and the file
/// descriptor); page data is read on demand by the decoders.
public final class LanceFileReader: Sendable {
    public let object: any ReadableObject
    public let footer: FileFooter
    public let version: FileVersion
    public let columns: [Lance_File_V2_ColumnMetadata]
    public let globalBuffers: [BufferLocation]
    /// Global buffer 0: the file's own schema and row count.
    public let descriptor: Lance_File_FileDescriptor
    public var path: String { object.path }
    public var rowCount: UInt64 { descriptor.length }
    /// Decoded 2.1/2.2 page layouts per column index, filled on first use (a column's layouts are
    /// parsed once per reader, not once per read or take).
    let v21PageCache = Mutex<[Int: [V21Page]]>([:])
    /// Parsed mini-block chunk tables of the pages takes have used, keyed by column << 32 | page.
    let miniBlockChunkCache = Mutex<[Int: [MiniBlock.Chunk]]>([:])

    /// Bytes read speculatively from the end on open (covers the metadata of most files in one read).
    static let tailReadSize: UInt64 = 64 * 1024

    init(object: any ReadableObject, footer: FileFooter, version: FileVersion,
         columns: [Lance_File_V2_ColumnMetadata], globalBuffers: [BufferLocation], descriptor: Lance_File_FileDescriptor) {
        self.object = object
        self.footer = footer
        self.version = version
        self.columns = columns
        self.globalBuffers = globalBuffers
        self.descriptor = descriptor
    }

    /// Opens a file. Throws `corruptFile` (naming the file and position) if the tail is malformed and
    /// `unsupported` for legacy or unknown versions.
    public static func open(_ object: any ReadableObject) async throws -> LanceFileReader {
        let path = object.path
        let size = object.size
        guard size >= UInt64(FileFooter.size) else {
            throw LanceError.corrupt("file is \(size) bytes, too small for a Lance file", path: path)
        }
        let tailStart = size > tailReadSize ? size - tailReadSize : 0
        var tail = try await object.read(tailStart ..< size)
        var tailBase = tailStart
        let footer = try FileFooter(tail.slice(tail.count - FileFooter.size, FileFooter.size), path: path, fileSize: size)
        let version = try FileVersion.fromFooter(major: footer.majorVersion, minor: footer.minorVersion, path: path)
        // Everything from the earliest metadata structure to the footer.
        let metaStart = min(footer.columnMetadataStart, footer.globalBufferOffsetsStart)
        if metaStart < tailBase {
            tail = try await object.read(metaStart ..< size)
            tailBase = metaStart
        }
        func bytes(_ offset: UInt64, _ length: UInt64, what: String) async throws -> Buffer {
            guard offset <= size, length <= size - offset else {
                throw LanceError.corrupt("\(what) at \(offset)+\(length) lies outside the file (size \(size))", path: path, position: offset)
            }
            if offset >= tailBase { return tail.slice(Int(offset - tailBase), Int(length)) }
            return try await object.read(offset ..< offset + length)
        }
        let cmo = try await bytes(footer.columnMetadataOffsetsStart, UInt64(footer.columnCount) * 16, what: "column metadata offsets")
        var columns: [Lance_File_V2_ColumnMetadata] = []
        columns.reserveCapacity(Int(footer.columnCount))
        for i in 0 ..< Int(footer.columnCount) {
            let pos = cmo.load(UInt64.self, byteOffset: i * 16)
            let len = cmo.load(UInt64.self, byteOffset: i * 16 + 8)
            let raw = try await bytes(pos, len, what: "column \(i) metadata")
            do {
                columns.append(try raw.withUnsafeBytes { try Lance_File_V2_ColumnMetadata(serializedBytes: Array($0)) })
            } catch {
                throw LanceError.corrupt("column \(i) metadata is not a valid ColumnMetadata message: \(error)", path: path, position: pos)
            }
        }
        let gbo = try await bytes(footer.globalBufferOffsetsStart, UInt64(footer.globalBufferCount) * 16, what: "global buffer offsets")
        var globals: [BufferLocation] = []
        for i in 0 ..< Int(footer.globalBufferCount) {
            let loc = BufferLocation(offset: gbo.load(UInt64.self, byteOffset: i * 16), size: gbo.load(UInt64.self, byteOffset: i * 16 + 8))
            guard loc.offset <= size, loc.size <= size - loc.offset else {
                throw LanceError.corrupt("global buffer \(i) lies outside the file", path: path, position: loc.offset)
            }
            globals.append(loc)
        }
        guard let first = globals.first else {
            throw LanceError.corrupt("file has no global buffers (the schema is missing)", path: path)
        }
        let descriptorBytes = try await bytes(first.offset, first.size, what: "file descriptor")
        let descriptor: Lance_File_FileDescriptor
        do {
            descriptor = try descriptorBytes.withUnsafeBytes { try Lance_File_FileDescriptor(serializedBytes: Array($0)) }
        } catch {
            throw LanceError.corrupt("global buffer 0 is not a valid FileDescriptor: \(error)", path: path, position: first.offset)
        }
        return LanceFileReader(object: object, footer: footer, version: version, columns: columns,
                               globalBuffers: globals, descriptor: descriptor)
    }

    /// The file's own schema (from its descriptor).
    public func schema() throws -> LanceSchema {
        do {
            return try LanceSchema(protoFields: descriptor.schema.fields, metadata: descriptor.schema.metadata)
        } catch let e as LanceError {
            throw e.at(path: path)
        }
    }

    /// Reads `size` bytes at `offset`, checking the range against the file size.
    public func read(offset: UInt64, size: UInt64) async throws -> Buffer {
        guard offset <= object.size, size <= object.size - offset else {
            throw LanceError.corrupt("buffer at \(offset)+\(size) lies outside the file (size \(object.size))", path: path, position: offset)
        }
        return try await object.read(offset ..< offset + size)
    }

    /// Reads the buffers of one page, in order.
    public func pageBuffers(column: Int, page: Int) async throws -> [Buffer] {
        let p = columns[column].pages[page]
        guard p.bufferOffsets.count == p.bufferSizes.count else {
            throw LanceError.corrupt("column \(column) page \(page) has \(p.bufferOffsets.count) buffer offsets but \(p.bufferSizes.count) sizes", path: path)
        }
        var out: [Buffer] = []
        out.reserveCapacity(p.bufferOffsets.count)
        for (o, s) in zip(p.bufferOffsets, p.bufferSizes) { out.append(try await read(offset: o, size: s)) }
        return out
    }

    /// Reads the column-level buffers of a column.
    public func columnBuffers(column: Int) async throws -> [Buffer] {
        let c = columns[column]
        var out: [Buffer] = []
        for (o, s) in zip(c.bufferOffsets, c.bufferSizes) { out.append(try await read(offset: o, size: s)) }
        return out
    }

    /// Reads global buffer `index`.
    public func globalBuffer(_ index: Int) async throws -> Buffer {
        guard index >= 0 && index < globalBuffers.count else {
            throw LanceError.corrupt("global buffer \(index) does not exist (file has \(globalBuffers.count))", path: path)
        }
        let loc = globalBuffers[index]
        return try await read(offset: loc.offset, size: loc.size)
    }

    /// Decodes an `Encoding.direct` Any into a message, checking its type URL.
    public static func unpack<M: SwiftProtobuf.Message>(_ encoding: Lance_File_V2_Encoding, as _: M.Type,
                                                        path: String, what: String) throws -> M {
        guard case .direct(let direct)? = encoding.location else {
            throw LanceError.unsupported("\(what) uses a deferred or missing encoding", path: path)
        }
        let any: Google_Protobuf_Any
        do { any = try Google_Protobuf_Any(serializedBytes: direct.encoding) } catch {
            throw LanceError.corrupt("\(what) encoding is not a valid protobuf Any: \(error)", path: path)
        }
        let expected = "/" + M.protoMessageName
        guard any.typeURL.hasSuffix(expected) else {
            throw LanceError.unsupported("\(what) has encoding type `\(any.typeURL)`, expected `\(expected)`", path: path)
        }
        do { return try M(serializedBytes: any.value) } catch {
            throw LanceError.corrupt("\(what) encoding `\(any.typeURL)` does not decode: \(error)", path: path)
        }
    }

    /// Maps field ids to column indices for a file whose DataFile entry is not available:
    /// 2.0 files give every field a column (pre-order); 2.1+ files only leaf fields.
    public func defaultColumnMap() throws -> [Int32: Int] {
        var map: [Int32: Int] = [:]
        var next = 0
        // A packed struct (field metadata `packed` / `lance-encoding:packed` = true) is one column in
        // every version; its members own none.
        var packedMembers = Set<Int32>()
        for f in try schema().allFields {
            if packedMembers.contains(f.id) { continue }
            var isLeaf: Bool
            switch f.type {
            case .struct, .list, .largeList: isLeaf = false
            default: isLeaf = true
            }
            if version == .v2_0, case .struct = f.type,
               ["packed", "lance-encoding:packed"].contains(where: { f.metadata[$0]?.lowercased() == "true" }) {
                packedMembers.formUnion(f.preorder.dropFirst().map(\.id))
            }
            if version != .v2_0 && V21ValueKind.isPacked(f) {
                isLeaf = true
                packedMembers.formUnion(f.preorder.dropFirst().map(\.id))
            }
            if version == .v2_0 || isLeaf {
                map[f.id] = next
                next += 1
            }
        }
        return map
    }

    // MARK: - Reading fields

    /// Reads rows `rows` of a top-level `field` whose (and whose descendants') columns are given by
    /// `columns` (field id → column index). A field id absent from the map reads as nulls.
    public func read(_ field: LanceField, columns: [Int32: Int], rows: Range<Int>) async throws -> ArrayData {
        guard rows.lowerBound >= 0, rows.upperBound <= Int(rowCount) else {
            throw LanceError.invalid("rows \(rows) out of range for a file of \(rowCount) rows").at(path: path)
        }
        do {
            if version == .v2_0 {
                return try await V20Decoding.read(self, field: field, columns: columns, rows: rows)
            }
            return try await V21Decoding.read(self, field: field, columns: columns, rows: rows)
        } catch let e as LanceError {
            throw e.at(path: path).at(column: field.name)
        }
    }

    /// Where the values of rows `rows` of a top-level fixed-width field (a primitive or fixed-size
    /// list of them, e.g. an embedding) lie in the file, when its pages store them back to back
    /// (2.1+ full-zip pages without nulls): absolute byte ranges in row order and the bytes per
    /// value. Nil when the column is stored any other way (then ``read(_:columns:rows:)`` it).
    public func fixedWidthRanges(_ field: LanceField, columns: [Int32: Int],
                                 rows: Range<Int>) throws -> (ranges: [Range<UInt64>], valueBytes: Int)? {
        guard let col = columns[field.id] else { return nil }
        do {
            return try FullZipFixedRead.fileRanges(self, field: field, column: col, rows: rows)
        } catch let e as LanceError {
            throw e.at(path: path).at(column: field.name)
        }
    }

    /// Reads the rows at `rows` (ascending, no duplicates) of a top-level field, reading only the
    /// pages (and, where the layout allows, only the values) those rows need.
    public func take(_ field: LanceField, columns: [Int32: Int], rows: [Int]) async throws -> ArrayData {
        for (a, b) in zip(rows, rows.dropFirst()) where a >= b {
            throw LanceError.invalid("take rows must be ascending without duplicates")
        }
        if let last = rows.last, last >= Int(rowCount) || rows[0] < 0 {
            throw LanceError.invalid("take row \(last) out of range for a file of \(rowCount) rows").at(path: path)
        }
        do {
            if version == .v2_0 {
                return try await V20Decoding.take(self, field: field, columns: columns, rows: rows)
            }
            return try await V21Decoding.take(self, field: field, columns: columns, rows: rows)
        } catch let e as LanceError {
            throw e.at(path: path).at(column: field.name)
        }
    }
}
