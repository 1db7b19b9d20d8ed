import LanceArrow
import LanceCore
import LanceExpr
import Testing

/// A small batch with nulls in every column.
func sampleBatch() throws -> RecordBatch {
    let schema = Schema([
        Field("id", .int64), Field("width", .int64), Field("height", .int32), Field("similarity", .float64),
        Field("NSFW", .int64), Field("caption", .utf8), Field("flag", .bool), Field("score", .float32),
        Field("tags", .list(Field("item", .utf8))),
        Field("meta", .struct([Field("a", .int64), Field("b", .utf8)])),
    ])
    let tagItems = ArrayData.strings(["a", "b", "c", "a"])
    let columns: [ArrayData] = [
        .primitive(.int64, values: [0, 1, 2, 3, 4, 5] as [Int64]),
        .primitive(.int64, [512, 100, nil, 1024, 600, 511] as [Int64?]),
        .primitive(.int32, [512, 800, 300, nil, 600, 700] as [Int32?]),
        .primitive(.float64, [0.31, 0.5, 0.2, Double.nan, nil, -0.0] as [Double?]),
        .primitive(.int64, [0, 1, 0, 0, nil, 0] as [Int64?]),
        .strings(["A cat", "naïve dog", nil, "100% off", "", "cat_nap"]),
        .bools([true, false, nil, true, nil, false]),
        .primitive(.float32, [0.3, 0.3000002, nil, 1, 2, 3] as [Float?]),
        .list(tagItems, offsets: [0, 2, 2, 3, 3, 4, 4], validity: [true, true, true, false, true, true]),
        .structure([(Field("a", .int64), .primitive(.int64, [1, 2, nil, 4, 5, 6] as [Int64?])),
                    (Field("b", .utf8), .strings(["x", "y", "z", nil, "v", "w"]))],
                   validity: [true, true, true, true, false, true]),
    ]
    return try RecordBatch(schema: schema, columns: columns)
}

func rows(_ filter: String, _ batch: RecordBatch) throws -> [Int] {
    try BoundExpr(filter: filter, schema: batch.schema).selection(batch)
}

@Suite struct LanceExprTests {
    @Test func parseErrorsCarryPositions() throws {
        for (text, pos, fragment) in [("id >", 5, "expected an expression"), ("id = = 3", 6, "expected an expression"),
                                      ("(id = 3", 8, "expected `)`"), ("s = 'abc", 5, "unterminated string"),
                                      ("id IN 3", 7, "expected `(`"), ("a ! b", 3, "unexpected character"),
                                      ("CAST(id AS VARCHAR2)", 12, "unsupported type")] {
            do {
                _ = try SQLExpr.parse(text)
                Issue.record("`\(text)` parsed")
            } catch let e as LanceError {
                #expect(e.code == .invalidInput)
                #expect(e.position == UInt64(pos), "\(text): \(e)")
                #expect(e.message.contains(fragment), "\(text): \(e.message)")
                #expect(e.message.contains("at column \(pos)"))
            }
        }
    }

    @Test func unknownColumnSuggestsAName() throws {
        let batch = try sampleBatch()
        do {
            _ = try BoundExpr(filter: "widht > 5", schema: batch.schema)
            Issue.record("bound")
        } catch let e as LanceError {
            #expect(e.message.contains("unknown column `widht`; did you mean `width`?"), "\(e.message)")
            #expect(e.position == 1)
        }
        #expect(throws: LanceError.self) { try BoundExpr(filter: "width > 'abc'", schema: batch.schema) }
        #expect(throws: LanceError.self) { try BoundExpr(filter: "width", schema: batch.schema) }
        #expect(throws: LanceError.self) { try BoundExpr(filter: "width > 1.5", schema: batch.schema) }
        #expect(throws: LanceError.self) { try BoundExpr(filter: "caption AND flag", schema: batch.schema) }
    }

    @Test func referencedColumns() throws {
        let e = try SQLExpr.parse(#""NSFW" = 0 AND similarity > 0.3 AND `width` >= 512 AND meta.a = 1"#)
        #expect(e.referencedColumns == ["NSFW", "similarity", "width", "meta"])
        let b = try BoundExpr(filter: "nsfw = 0", schema: try sampleBatch().schema)
        #expect(b.referencedColumns == ["NSFW"])
    }

    @Test func seedFilter() throws {
        let batch = try sampleBatch()
        #expect(try rows(#""NSFW" = 0 AND similarity > 0.3 AND width >= 512"#, batch) == [0, 3])
        // NaN is greater than every number (Arrow's total order); -0 equals 0.
        #expect(try rows("similarity > 0.3", batch) == [0, 1, 3])
        #expect(try rows("similarity = 0", batch) == [5])
        #expect(try rows("similarity < 0", batch) == [])
    }

    @Test func threeValuedLogic() throws {
        let batch = try sampleBatch()
        #expect(try rows("flag OR width > 1000", batch) == [0, 3])
        #expect(try rows("NOT (flag AND width > 1000)", batch) == [0, 1, 4, 5])
        #expect(try rows("flag IS NULL", batch) == [2, 4])
        #expect(try rows("flag IS NOT TRUE", batch) == [1, 2, 4, 5])
        #expect(try rows("width IN (512, NULL)", batch) == [0])
        #expect(try rows("width NOT IN (512, NULL)", batch) == [])
        #expect(try rows("width NOT IN (512, 100)", batch) == [3, 4, 5])
        #expect(try rows("width BETWEEN 511 AND 600", batch) == [0, 4, 5])
        #expect(try rows("width NOT BETWEEN 511 AND 600", batch) == [1, 3])
    }

    @Test func stringsAndLike() throws {
        let batch = try sampleBatch()
        #expect(try rows("caption LIKE '%cat%'", batch) == [0, 5])
        #expect(try rows("caption LIKE 'na_ve%'", batch) == [1])
        #expect(try rows("caption LIKE '%\\%%'", batch) == [3])
        #expect(try rows("caption LIKE 'cat\\_%'", batch) == [5])
        #expect(try rows("caption ILIKE 'a CAT'", batch) == [0])
        #expect(try rows("caption NOT LIKE '%cat%'", batch) == [1, 3, 4])
        #expect(try rows("caption LIKE '%!%%' ESCAPE '!'", batch) == [3])
        #expect(try rows("length(caption) = 9", batch) == [1])
        #expect(try rows("upper(caption) = 'A CAT'", batch) == [0])
        #expect(try rows("starts_with(caption, 'cat')", batch) == [5])
        #expect(try rows("regexp_like(caption, '^[a-z]+_')", batch) == [5])
        #expect(try rows("caption = 'it''s'", batch) == [])
        #expect(try rows("caption || '!' = 'A cat!'", batch) == [0])
    }

    @Test func nestedListsAndCasts() throws {
        let batch = try sampleBatch()
        #expect(try rows("array_has(tags, 'a')", batch) == [0, 4])
        #expect(try rows("array_has_any(tags, ['b', 'c'])", batch) == [0, 2])
        #expect(try rows("array_length(tags) = 0", batch) == [1, 5])
        #expect(try rows("meta.a >= 4", batch) == [3, 5])
        #expect(try rows("meta.b IS NULL", batch) == [3, 4])
        #expect(try rows("CAST(width AS DOUBLE) / CAST(height AS DOUBLE) > 1", batch) == [])
        #expect(try rows("width::double / height > 0.7", batch) == [0, 4, 5])
        #expect(try rows("width / 100 = 5", batch) == [0, 5])  // integer division truncates
        #expect(try rows("score = 0.3", batch) == [0])  // the literal takes the column's float32 type
        #expect(try rows("CASE WHEN width > 600 THEN 'big' ELSE 'small' END = 'big'", batch) == [3])
        #expect(throws: LanceError.self) { try rows("width / 0 > 1", batch) }
    }

    @Test func evaluateValueExpressions() throws {
        let batch = try sampleBatch()
        let ratio = try BoundExpr("CAST(width AS DOUBLE) / CAST(height AS DOUBLE)", schema: batch.schema)
        #expect(ratio.resultType == .float64)
        let r = try ratio.evaluate(batch)
        #expect(r.type == .float64 && r.count == 6)
        #expect(r.value(0, as: Double.self) == 1.0)
        #expect(r.value(1, as: Double.self) == 0.125)
        #expect(r.isNull(2) && r.isNull(3))
        let hi = try BoundExpr("width >= 512 AND height >= 512", schema: batch.schema)
        #expect(hi.resultType == .bool)
        let h = try hi.evaluate(batch)
        #expect((0 ..< 6).map { h.isNull($0) ? nil : h.boolValue($0) } == [true, false, false, nil, true, false])
        let sum = try BoundExpr("height + 1", schema: batch.schema)
        #expect(sum.resultType == .int32)  // the literal takes the column's type, as Lance coerces it
        let s = try sum.evaluate(batch)
        #expect(s.value(0, as: Int32.self) == 513)
        // As in Lance, a literal next to a column must fit the column's type…
        #expect(throws: LanceError.self) { try BoundExpr("height * 1.5", schema: batch.schema) }
        // …elsewhere numeric types widen.
        let wide = try BoundExpr("CAST(height AS DOUBLE) * 1.5", schema: batch.schema)
        #expect(wide.resultType == .float64)
        #expect(try wide.evaluate(batch).value(1, as: Double.self) == 1200)
        let up = try BoundExpr("upper(caption)", schema: batch.schema).evaluate(batch)
        #expect(up.string(1) == "NAÏVE DOG" && up.string(2) == nil)
    }
}
