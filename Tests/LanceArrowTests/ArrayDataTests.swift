import LanceArrow
import LanceCore
import Testing

@Suite struct ArrayDataTests {
    @Test func sliceAndConcatStrings() {
        let a = ArrayData.strings(["a", nil, "ccc", ""])
        let b = ArrayData.strings(["dd", "e"])
        let c = ArrayData.concat([a.slice(1, 3), b])
        #expect(c.count == 5)
        #expect(c.string(0) == nil)
        #expect(c.string(1) == "ccc")
        #expect(c.string(2) == "")
        #expect(c.string(3) == "dd")
        #expect(c.string(4) == "e")
        #expect(c.nullCount == 1)
    }

    @Test func primitiveConcatKeepsNulls() {
        let a = ArrayData.primitive(.int64, [1, nil, 3] as [Int64?])
        let b = ArrayData.primitive(.int64, values: [Int64(4)])
        let c = ArrayData.concat([a, b])
        #expect(c.count == 4)
        #expect(c.isNull(1))
        #expect(c.value(3, as: Int64.self) == 4)
        #expect(c.value(2, as: Int64.self) == 3)
    }

    @Test func listSliceAndConcat() {
        let items = ArrayData.primitive(.int32, values: [Int32](0 ..< 6))
        let l = ArrayData.list(items, offsets: [0, 2, 2, 6])
        let s = l.slice(2, 1)
        #expect(s.listValues(0).count == 4)
        let c = ArrayData.concat([s, l.slice(0, 1)])
        #expect(c.listValues(0).value(0, as: Int32.self) == 2)
        #expect(c.listValues(1).value(1, as: Int32.self) == 1)
    }
}
