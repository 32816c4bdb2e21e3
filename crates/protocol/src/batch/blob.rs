//! The OP Stack's blob encoding (`ecotone/derivation.md`, "Blob Encoding"): batcher data in an
//! EIP-4844 blob. Each round packs 127 bytes into 4 field elements: each element holds 31
//! data bytes after a byte whose top two bits are zero (keeping it below the BLS modulus), and
//! the 6 spare bits of the four leading bytes carry 3 more data bytes. The data starts with a
//! version byte (0) and its length (big-endian `uint24`); everything past it is zero.

use super::BatchError;

/// Bytes in a blob (4096 field elements of 32 bytes).
pub const BLOB_SIZE: usize = 4096 * 32;
/// Bytes one blob carries, its 4-byte header included.
const BLOB_CAPACITY: usize = (4 * 31 + 3) * 1024;
/// The most data one blob carries (after the version byte and the length).
pub const MAX_BLOB_DATA_SIZE: usize = BLOB_CAPACITY - 4;
/// The only blob encoding version.
pub const BLOB_ENCODING_VERSION_0: u8 = 0;

/// The blob (of [`BLOB_SIZE`] bytes) carrying `data`.
pub fn encode_blob(data: &[u8]) -> Result<Vec<u8>, BatchError> {
    if data.len() > MAX_BLOB_DATA_SIZE {
        return Err(BatchError::BlobDataTooLarge { len: data.len(), max: MAX_BLOB_DATA_SIZE });
    }
    let mut stream = Vec::with_capacity(BLOB_CAPACITY);
    stream.push(BLOB_ENCODING_VERSION_0);
    stream.extend_from_slice(&(data.len() as u32).to_be_bytes()[1..]);
    stream.extend_from_slice(data);
    stream.resize(BLOB_CAPACITY, 0);
    let mut blob = vec![0; BLOB_SIZE];
    for (round, chunk) in stream.chunks_exact(127).enumerate() {
        let (x, y, z) = (chunk[31], chunk[63], chunk[95]);
        let leading = [
            x & 0b0011_1111,
            (y & 0b0000_1111) | ((x & 0b1100_0000) >> 2),
            z & 0b0011_1111,
            ((z & 0b1100_0000) >> 2) | ((y & 0b1111_0000) >> 4),
        ];
        let tails = [&chunk[0..31], &chunk[32..63], &chunk[64..95], &chunk[96..127]];
        for (element, (lead, tail)) in leading.iter().zip(tails).enumerate() {
            let at = (round * 4 + element) * 32;
            blob[at] = *lead;
            blob[at + 1..at + 32].copy_from_slice(tail);
        }
    }
    Ok(blob)
}

/// The data a blob carries. A blob that is not a valid encoding (a field element's top bits
/// set, another version, a length beyond the capacity, or non-zero bytes past the data) is
/// refused as a whole, as the spec says.
pub fn decode_blob(blob: &[u8]) -> Result<Vec<u8>, BatchError> {
    if blob.len() != BLOB_SIZE {
        return Err(BatchError::BlobSize(blob.len()));
    }
    let mut stream = Vec::with_capacity(BLOB_CAPACITY);
    for (round, elements) in blob.chunks_exact(128).enumerate() {
        let mut leading = [0u8; 4];
        for (element, lead) in leading.iter_mut().enumerate() {
            *lead = elements[element * 32];
            if *lead & 0b1100_0000 != 0 {
                return Err(BatchError::BlobFieldElement(round * 4 + element));
            }
        }
        let [a, b, c, d] = leading;
        let x = a | ((b & 0b0011_0000) << 2);
        let y = (b & 0b0000_1111) | ((d & 0b0000_1111) << 4);
        let z = c | ((d & 0b0011_0000) << 2);
        stream.extend_from_slice(&elements[1..32]);
        stream.push(x);
        stream.extend_from_slice(&elements[33..64]);
        stream.push(y);
        stream.extend_from_slice(&elements[65..96]);
        stream.push(z);
        stream.extend_from_slice(&elements[97..128]);
    }
    if stream[0] != BLOB_ENCODING_VERSION_0 {
        return Err(BatchError::BlobVersion(stream[0]));
    }
    let len = u32::from_be_bytes([0, stream[1], stream[2], stream[3]]) as usize;
    if len > MAX_BLOB_DATA_SIZE {
        return Err(BatchError::BlobDataTooLarge { len, max: MAX_BLOB_DATA_SIZE });
    }
    let end = 4 + len;
    if stream[end..].iter().any(|byte| *byte != 0) {
        return Err(BatchError::BlobTrailingData);
    }
    stream.truncate(end);
    stream.drain(..4);
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 256) as u8).collect()
    }

    #[test]
    fn data_round_trips_at_every_edge_of_a_round() {
        for len in
            [0, 1, 27, 28, 123, 124, 127, 128, 4000, MAX_BLOB_DATA_SIZE - 1, MAX_BLOB_DATA_SIZE]
        {
            let blob = encode_blob(&data(len)).unwrap();
            assert_eq!(blob.len(), BLOB_SIZE);
            assert!(blob.chunks(32).all(|element| element[0] & 0b1100_0000 == 0));
            assert_eq!(decode_blob(&blob).unwrap(), data(len), "length {len}");
        }
        assert!(matches!(
            encode_blob(&data(MAX_BLOB_DATA_SIZE + 1)),
            Err(BatchError::BlobDataTooLarge { .. })
        ));
    }

    #[test]
    fn the_layout_is_the_specs() {
        // The first round's stream: version 0, length 124 (0x00007c), then data bytes 0..124,
        // so x (stream byte 31) = data[27], y = data[59], z = data[91].
        let data: Vec<u8> = (0..124).map(|i| 0xc0 | i as u8).collect();
        let blob = encode_blob(&data).unwrap();
        let (x, y, z) = (data[27], data[59], data[91]);
        // Element 0: A = x & 0x3f, then version, length and data[0..27].
        assert_eq!(blob[0], x & 0x3f);
        assert_eq!(&blob[1..5], &[0, 0, 0, 124]);
        assert_eq!(&blob[5..32], &data[..27]);
        // Element 1: B = y's low nibble, x's top bits in bits 4-5; then data[28..59].
        assert_eq!(blob[32], (y & 0x0f) | ((x & 0xc0) >> 2));
        assert_eq!(&blob[33..64], &data[28..59]);
        // Element 2: C = z & 0x3f; element 3: D = z's top bits in bits 4-5, y's high nibble.
        assert_eq!(blob[64], z & 0x3f);
        assert_eq!(&blob[65..96], &data[60..91]);
        assert_eq!(blob[96], ((z & 0xc0) >> 2) | ((y & 0xf0) >> 4));
        assert_eq!(&blob[97..128], &data[92..123]);
        // The second round starts with data[123] in its first tail byte.
        assert_eq!(blob[129], data[123]);
        assert!(blob[130..].iter().all(|byte| *byte == 0));
    }

    #[test]
    fn invalid_blobs_are_refused_whole() {
        let blob = encode_blob(&data(1000)).unwrap();
        let mut high_bits = blob.clone();
        high_bits[32 * 77] |= 0x80;
        assert_eq!(decode_blob(&high_bits), Err(BatchError::BlobFieldElement(77)));
        let mut version = blob.clone();
        version[1] = 1;
        assert_eq!(decode_blob(&version), Err(BatchError::BlobVersion(1)));
        let mut too_long = blob.clone();
        too_long[2] = 0xff;
        assert!(matches!(decode_blob(&too_long), Err(BatchError::BlobDataTooLarge { .. })));
        let mut trailing = blob.clone();
        trailing[BLOB_SIZE - 1] = 1;
        assert_eq!(decode_blob(&trailing), Err(BatchError::BlobTrailingData));
        // A shorter stated length leaves data past it: not bijective, refused.
        let mut shorter = blob;
        shorter[4] = shorter[4].wrapping_sub(1);
        assert_eq!(decode_blob(&shorter), Err(BatchError::BlobTrailingData));
        assert_eq!(decode_blob(&[0; 10]), Err(BatchError::BlobSize(10)));
    }
}
