//! An allocator for the extension module: the system allocator, except that large blocks are
//! mapped straight from the kernel with transparent huge pages requested (Linux).
//!
//! The kernels return large fresh arrays (codes, outcomes, histograms: tens of MB per call). On
//! systems where transparent huge pages are enabled only on request (`madvise`, the common
//! default), each 4 KiB page of a fresh block costs a page fault when first written, and those
//! faults were about a fifth of the time of ingesting 10 million comparisons. With 2 MiB pages
//! the kernel faults once per 2 MiB. Where huge pages are unavailable the advice is ignored and
//! the blocks behave like ordinary anonymous mappings (which is also what the system allocator
//! uses for blocks this large).

use std::alloc::{GlobalAlloc, Layout, System};

/// The system allocator, with blocks of at least [`BIG_BLOCK`] bytes mapped with huge pages
/// requested. Which path a block takes depends only on its size and alignment, so `dealloc` and
/// `realloc` always find the block where it was made.
pub struct HugePageAlloc;

/// Blocks at least this large are mapped directly (the system allocator maps blocks from 128 KiB
/// to 32 MiB upwards anyway; below a few MiB a huge page would be mostly empty).
pub const BIG_BLOCK: usize = 4 << 20;

const PAGE: usize = 4096;

#[inline]
fn is_big(size: usize, align: usize) -> bool {
    cfg!(target_os = "linux") && size >= BIG_BLOCK && align <= PAGE
}

#[inline]
fn pages(size: usize) -> usize {
    size.div_ceil(PAGE) * PAGE
}

#[cfg(target_os = "linux")]
mod os {
    use super::pages;

    /// A fresh, zeroed, page-aligned mapping of `size` bytes with huge pages requested, or null.
    pub fn map(size: usize) -> *mut u8 {
        // SAFETY: an anonymous private mapping at an address of the kernel's choice touches no
        // existing memory; failure is reported as MAP_FAILED and turned into null.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                pages(size),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                return std::ptr::null_mut();
            }
            // Advice only: without huge pages the mapping works with ordinary pages.
            libc::madvise(p, pages(size), libc::MADV_HUGEPAGE);
            p.cast()
        }
    }

    /// Unmap a block made by [`map`] (or grown by [`remap`]) of `size` bytes.
    ///
    /// # Safety
    /// `p` and `size` must describe a live block from [`map`] / [`remap`].
    pub unsafe fn unmap(p: *mut u8, size: usize) {
        libc::munmap(p.cast(), pages(size));
    }

    /// Resize a block made by [`map`], moving it if needed (the kernel moves page tables, not
    /// bytes); null on failure, with the old block intact.
    ///
    /// # Safety
    /// `p` and `old` must describe a live block from [`map`] / [`remap`].
    pub unsafe fn remap(p: *mut u8, old: usize, new: usize) -> *mut u8 {
        if pages(old) == pages(new) {
            return p;
        }
        let q = libc::mremap(p.cast(), pages(old), pages(new), libc::MREMAP_MAYMOVE);
        if q == libc::MAP_FAILED {
            std::ptr::null_mut()
        } else {
            q.cast()
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod os {
    // `is_big` is never true off Linux; these are never called.
    pub fn map(_size: usize) -> *mut u8 {
        std::ptr::null_mut()
    }
    pub unsafe fn unmap(_p: *mut u8, _size: usize) {}
    pub unsafe fn remap(_p: *mut u8, _old: usize, _new: usize) -> *mut u8 {
        std::ptr::null_mut()
    }
}

// SAFETY: every block is served and released by the path its (size, align) selects: big blocks
// by `os` (page-aligned, so any `align <= PAGE` holds; fresh mappings are zeroed), the rest by
// `System`. `realloc` between paths allocates on the new path, copies and frees on the old one.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_big(layout.size(), layout.align()) {
            os::map(layout.size())
        } else {
            System.alloc(layout)
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_big(layout.size(), layout.align()) {
            os::map(layout.size())
        } else {
            System.alloc_zeroed(layout)
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_big(layout.size(), layout.align()) {
            os::unmap(ptr, layout.size())
        } else {
            System.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let (old_big, new_big) = (
            is_big(layout.size(), layout.align()),
            is_big(new_size, layout.align()),
        );
        match (old_big, new_big) {
            (false, false) => System.realloc(ptr, layout, new_size),
            (true, true) => os::remap(ptr, layout.size(), new_size),
            _ => {
                let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                let q = self.alloc(new_layout);
                if !q.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, q, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                q
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_of_every_size_survive_alloc_grow_shrink_and_free() {
        let a = HugePageAlloc;
        let sizes = [
            16,
            BIG_BLOCK - 1,
            BIG_BLOCK,
            BIG_BLOCK + 4095,
            3 * BIG_BLOCK + 7,
            100,
        ];
        for &align in &[8usize, 64, PAGE, 2 * PAGE] {
            unsafe {
                let layout = Layout::from_size_align(sizes[0], align).unwrap();
                let mut p = a.alloc_zeroed(layout);
                assert!(!p.is_null() && p as usize % align == 0);
                let mut size = sizes[0];
                assert!(std::slice::from_raw_parts(p, size).iter().all(|&x| x == 0));
                // Walk through every transition (small <-> big, big <-> big), checking contents.
                for &next in &sizes[1..] {
                    for i in 0..size {
                        *p.add(i) = (i % 251) as u8;
                    }
                    let layout = Layout::from_size_align(size, align).unwrap();
                    p = a.realloc(p, layout, next);
                    assert!(!p.is_null() && p as usize % align == 0);
                    let kept = size.min(next);
                    let bytes = std::slice::from_raw_parts(p, kept);
                    assert!(bytes.iter().enumerate().all(|(i, &x)| x == (i % 251) as u8));
                    size = next;
                }
                a.dealloc(p, Layout::from_size_align(size, align).unwrap());
                // A big zeroed block is zero throughout.
                let big = Layout::from_size_align(2 * BIG_BLOCK + 3, align).unwrap();
                let q = a.alloc_zeroed(big);
                assert!(std::slice::from_raw_parts(q, big.size())
                    .iter()
                    .all(|&x| x == 0));
                a.dealloc(q, big);
            }
        }
    }
}
