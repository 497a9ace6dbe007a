//! Local processes: each attempt is `sh -c COMMAND` in its own process group
//! (so a timeout or an interrupt stops the whole tree), stdout and stderr to
//! files in the attempt's folder. A small wrapper shell runs the command and
//! writes its exit status to [`EXIT_FILE`] in the attempt's folder, so a slaw
//! restarted after its predecessor died knows how an attempt it did not see
//! end has ended.

use super::{Backend, Launch, Orphan, Poll};
use crate::{Error, Result};
use std::collections::HashMap;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The file in the attempt's folder where the wrapper writes the command's
/// exit status (`$?`: 128 + n when signal n ended it), once it has ended.
pub const EXIT_FILE: &str = ".slaw-exit-status";

/// The wrapper: runs the command (`$1`), writes its status to [`EXIT_FILE`]
/// (through a rename: the file is whole or absent), then ends as the command
/// did (by the same signal when a signal ended it).
const WRAPPER: &str = "sh -c \"$1\"; s=$?; \
    printf '%s\\n' \"$s\" > .slaw-exit-status.tmp && mv -f .slaw-exit-status.tmp .slaw-exit-status; \
    if [ \"$s\" -gt 128 ]; then kill -$((s - 128)) $$ 2>/dev/null; fi; exit \"$s\"";

/// The local-process backend; handles are process ids (each also the
/// process group id of the attempt).
#[derive(Default)]
pub struct Local {
    children: HashMap<String, Child>,
}

fn kill_group(pgid: i32) {
    if pgid > 0 {
        // SAFETY: sends SIGKILL to the process group we created.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// Whether process `pid` exists and was started for run `id`.
pub fn runs(pid: i32, id: &str) -> bool {
    let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let want = format!("SLAW_RUN_ID={id}");
    env.split(|&b| b == 0).any(|kv| kv == want.as_bytes())
}

impl Backend for Local {
    fn launch(&mut self, l: &Launch) -> Result<String> {
        let io = |p: &std::path::Path, e: std::io::Error| Error::Io {
            path: p.display().to_string(),
            source: e,
        };
        std::fs::create_dir_all(&l.out_dir).map_err(|e| io(&l.out_dir, e))?;
        let out = std::fs::File::create(&l.stdout).map_err(|e| io(&l.stdout, e))?;
        let err = std::fs::File::create(&l.stderr).map_err(|e| io(&l.stderr, e))?;
        // A status left by an earlier attempt in this folder is not this one's.
        let exit = l.out_dir.join(EXIT_FILE);
        match std::fs::remove_file(&exit) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&exit, e)),
            _ => {}
        }
        let child = Command::new("sh")
            .arg("-c")
            .arg(WRAPPER)
            .arg("slaw-attempt")
            .arg(&l.command)
            .current_dir(&l.out_dir)
            .envs(l.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| Error::Spawn {
                what: format!("cannot start 'sh -c {}'", l.command),
                source: e,
            })?;
        let pid = child.id().to_string();
        self.children.insert(pid.clone(), child);
        Ok(pid)
    }

    fn poll(&mut self, handle: &str) -> Result<Poll> {
        let Some(child) = self.children.get_mut(handle) else {
            return Ok(Poll::Exited {
                code: None,
                signal: None,
            });
        };
        match child.try_wait() {
            Ok(None) => Ok(Poll::Running),
            Ok(Some(st)) => {
                self.children.remove(handle);
                Ok(Poll::Exited {
                    code: st.code().map(i64::from),
                    signal: st.signal(),
                })
            }
            Err(e) => Err(Error::Spawn {
                what: format!("waiting for process {handle}"),
                source: e,
            }),
        }
    }

    fn cancel(&mut self, handle: &str) {
        if let Some(mut child) = self.children.remove(handle) {
            kill_group(child.id() as i32);
            let _ = child.wait();
        }
    }

    fn recover_orphan(
        &mut self,
        id: &str,
        handle: Option<&str>,
        out_dir: Option<&std::path::Path>,
    ) -> Orphan {
        self.recover(id, handle, out_dir)
    }

    fn cancel_orphan(&mut self, id: &str, handle: Option<&str>) {
        // Only when the process is still that run (the pid may have been
        // reused since): every attempt has SLAW_RUN_ID in its environment.
        if let Some(pid) = handle.and_then(|h| h.parse::<i32>().ok()) {
            if runs(pid, id) {
                kill_group(pid);
            }
        }
    }
}

impl Local {
    fn recover(&mut self, id: &str, handle: Option<&str>, out_dir: Option<&Path>) -> Orphan {
        match handle.and_then(|h| h.parse::<i32>().ok()) {
            Some(pid) if runs(pid, id) => {
                kill_group(pid);
                Orphan::Stopped
            }
            Some(_) => exit_status(out_dir),
            // Killed between starting it and recording its pid.
            None => Orphan::Stopped,
        }
    }
}

/// How an attempt that ended unseen ended, from the status its wrapper wrote
/// in `out_dir` ([`EXIT_FILE`]); unknown when there is none (the wrapper
/// itself was killed) or it does not read.
pub fn exit_status(out_dir: Option<&Path>) -> Orphan {
    let status = out_dir
        .and_then(|d| std::fs::read_to_string(d.join(EXIT_FILE)).ok())
        .and_then(|s| s.trim().parse::<i64>().ok());
    match status {
        Some(s) if (129..=192).contains(&s) => Orphan::Ended {
            code: None,
            signal: Some((s - 128) as i32),
        },
        Some(s) if s >= 0 => Orphan::Ended {
            code: Some(s),
            signal: None,
        },
        _ => Orphan::Ended {
            code: None,
            signal: None,
        },
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        let handles: Vec<String> = self.children.keys().cloned().collect();
        for h in handles {
            self.cancel(&h);
        }
    }
}
