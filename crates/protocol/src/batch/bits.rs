//! The span batch's building blocks: unsigned LEB128 varints and bit lists, which op-node
//! writes as a big-endian integer whose bit `i` is element `i`, padded to whole bytes.

use super::BatchError;

/// A cursor over span batch bytes.
#[derive(Debug)]
pub(super) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) const fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    pub(super) fn remaining(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    pub(super) fn advance(&mut self, by: usize) {
        self.pos += by;
    }

    pub(super) fn bytes(
        &mut self,
        len: usize,
        field: &'static str,
    ) -> Result<&'a [u8], BatchError> {
        let end = self.pos.checked_add(len).filter(|end| *end <= self.data.len());
        let end = end.ok_or(BatchError::SpanTruncated(field))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub(super) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], BatchError> {
        let mut out = [0; N];
        out.copy_from_slice(self.bytes(N, field)?);
        Ok(out)
    }

    pub(super) fn uvarint(&mut self, field: &'static str) -> Result<u64, BatchError> {
        let mut value = 0u64;
        for index in 0..10 {
            let byte = *self.remaining().first().ok_or(BatchError::SpanTruncated(field))?;
            self.pos += 1;
            let bits = u64::from(byte & 0x7f);
            // The tenth byte may only hold the 64th bit.
            if index == 9 && byte > 1 {
                return Err(BatchError::VarintOverflow(field));
            }
            value |= bits << (7 * index);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(BatchError::VarintOverflow(field))
    }

    pub(super) fn bits(
        &mut self,
        count: usize,
        field: &'static str,
    ) -> Result<Vec<bool>, BatchError> {
        let len = count.div_ceil(8);
        let bytes = self.bytes(len, field)?;
        let bits: Vec<bool> =
            (0..count).map(|i| bytes[len - 1 - i / 8] >> (i % 8) & 1 == 1).collect();
        // Bits beyond `count` in the top byte must be zero (op-node refuses a longer integer).
        if !count.is_multiple_of(8) && bytes[0] >> (count % 8) != 0 {
            return Err(BatchError::BitListPadding(field));
        }
        Ok(bits)
    }
}

pub(super) fn put_uvarint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub(super) fn put_bits(out: &mut Vec<u8>, bits: &[bool]) {
    let len = bits.len().div_ceil(8);
    let start = out.len();
    out.resize(start + len, 0);
    for (i, _) in bits.iter().enumerate().filter(|(_, bit)| **bit) {
        out[start + len - 1 - i / 8] |= 1 << (i % 8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_overflow_is_refused() {
        for value in [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            put_uvarint(&mut out, value);
            assert_eq!(Reader::new(&out).uvarint("v").unwrap(), value);
        }
        let too_long = [0xff; 11];
        assert_eq!(Reader::new(&too_long).uvarint("v"), Err(BatchError::VarintOverflow("v")));
        let overflow = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(Reader::new(&overflow).uvarint("v"), Err(BatchError::VarintOverflow("v")));
        assert_eq!(Reader::new(&[0x80]).uvarint("v"), Err(BatchError::SpanTruncated("v")));
    }

    #[test]
    fn bit_lists_are_big_endian_integers() {
        // Elements 0 and 9 set, of 10: the integer 0b10_0000_0001 in two bytes.
        let bits: Vec<bool> = (0..10).map(|i| i == 0 || i == 9).collect();
        let mut out = Vec::new();
        put_bits(&mut out, &bits);
        assert_eq!(out, [0x02, 0x01]);
        assert_eq!(Reader::new(&out).bits(10, "b").unwrap(), bits);
        assert_eq!(Reader::new(&[0x04, 0x01]).bits(10, "b"), Err(BatchError::BitListPadding("b")));
    }
}
