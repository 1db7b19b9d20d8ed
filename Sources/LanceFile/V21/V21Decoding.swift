import LanceArrow
import LanceCore

/// Decoding of file-version 2.1/2.2 pages (`lance.encodings21.PageLayout`).
enum V21Decoding {
    static func read(_ file: LanceFileReader, field: LanceField, columns: [Int32: Int], rows: Range<Int>) async throws -> ArrayData {
        throw LanceError.unsupported("2.1 decoding not implemented yet")
    }

    static func take(_ file: LanceFileReader, field: LanceField, columns: [Int32: Int], rows: [Int]) async throws -> ArrayData {
        throw LanceError.unsupported("2.1 decoding not implemented yet")
    }
}
