//! Ctrl-C / SIGTERM set a flag the run loop checks, so running attempts are
//! stopped and given back to the journal before slaw exits. The journal's
//! waits on a lock held elsewhere read it too, so an interrupt is not held
//! up by a busy journal; a second signal ends the process at once (exit
//! status 130: what is left running is stopped and run again by the next
//! `slaw run`, as after a kill).

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// The exit status of a process ended by an interrupt (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

extern "C" fn on_signal(_: libc::c_int) {
    if STOP.swap(true, Ordering::SeqCst) {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(EXIT_INTERRUPTED as libc::c_int) }
    }
}

/// Install the handlers (SIGINT, SIGTERM) and return the flag.
pub fn flag() -> &'static AtomicBool {
    // SAFETY: the handler only touches an atomic and calls _exit, both
    // signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    &STOP
}

/// Whether SIGINT or SIGTERM has arrived since [`flag`] installed the
/// handlers.
pub fn requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
