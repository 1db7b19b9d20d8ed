import LanceArrow
import LanceCore

/// Decoding of file-version 2.0 pages (`lance.encodings.ArrayEncoding`).
enum V20Decoding {
    static func read(_ file: LanceFileReader, field: LanceField, columns: [Int32: Int], rows: Range<Int>) async throws -> ArrayData {
        throw LanceError.unsupported("2.0 decoding not implemented yet")
    }

    static func take(_ file: LanceFileReader, field: LanceField, columns: [Int32: Int], rows: [Int]) async throws -> ArrayData {
        throw LanceError.unsupported("2.0 decoding not implemented yet")
    }
}
