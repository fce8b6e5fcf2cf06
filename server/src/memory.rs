//! The in-memory transport under [`crate::test::Client`]: the request bytes
//! a test queued are the connection's input, and what the server writes is
//! collected for the test to read. No socket, no thread; the end of the
//! queued bytes reads as the client's end of stream.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::transport::{Discarded, Transport};

#[derive(Default)]
struct Pipes {
    input: VecDeque<u8>,
    output: Vec<u8>,
}

/// One end of an in-memory connection. Clones share the same pipes.
#[derive(Clone, Default)]
pub(crate) struct MemoryStream(Arc<Mutex<Pipes>>);

impl MemoryStream {
    fn lock(&self) -> MutexGuard<'_, Pipes> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues bytes for the server to read.
    pub(crate) fn push_input(&self, bytes: &[u8]) {
        self.lock().input.extend(bytes);
    }

    /// Whether the server has read every queued byte.
    pub(crate) fn input_is_empty(&self) -> bool {
        self.lock().input.is_empty()
    }

    /// Takes what the server wrote so far.
    pub(crate) fn take_output(&self) -> Vec<u8> {
        std::mem::take(&mut self.lock().output)
    }
}

impl Read for MemoryStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut pipes = self.lock();
        let n = buf.len().min(pipes.input.len());
        for (dst, src) in buf.iter_mut().zip(pipes.input.drain(..n)) {
            *dst = src;
        }
        Ok(n)
    }
}

impl Write for MemoryStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock().output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for MemoryStream {
    fn try_clone_box(&self) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(self.clone()))
    }
    fn discard_input(&mut self, max: usize) -> Discarded {
        let mut pipes = self.lock();
        let n = max.min(pipes.input.len());
        pipes.input.drain(..n);
        // Nothing more arrives once the test client has sent its request.
        Discarded {
            bytes: n,
            ended: true,
        }
    }
}
