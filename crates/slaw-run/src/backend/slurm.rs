//! Slurm: each attempt is a batch job (`sbatch --parsable` on a small
//! script that enters the attempt's folder, sets the environment and runs the
//! command), tracked with `scontrol show job` (works without accounting),
//! cancelled with `scancel`.

use super::{Backend, Launch, Orphan, Poll};
use crate::template::shell_quote;
use crate::{Error, Result};
use std::process::Command;

/// The Slurm backend; handles are job ids. Jobs this process submitted and
/// that have not finished are cancelled when it is dropped.
pub struct Slurm {
    /// Extra arguments given to every `sbatch` (partition, time, resources).
    pub sbatch_args: Vec<String>,
    /// Distinguishes this journal's jobs from other plans' in job names.
    tag: String,
    /// Jobs this process submitted (cancelled when it is dropped).
    jobs: Vec<String>,
}

impl Slurm {
    /// `journal`: the plan's journal path (job names carry a hash of it).
    pub fn new(sbatch_args: Vec<String>, journal: &std::path::Path) -> Slurm {
        // FNV-1a: stable across runs and platforms.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in journal.display().to_string().bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        Slurm {
            sbatch_args,
            tag: format!("{:08x}", h as u32),
            jobs: vec![],
        }
    }

    /// The job name of run `id`: `slaw_<journal hash>_<id, alphanumeric>`.
    pub fn job_name(&self, id: &str) -> String {
        let name: String = id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        format!("slaw_{}_{name}", self.tag)
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd.output().map_err(|e| Error::Spawn {
        what: format!("cannot run {what}"),
        source: e,
    })?;
    if !out.status.success() {
        return Err(Error::Command {
            what: what.to_string(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

/// The batch script of an attempt: enter its folder, set its environment,
/// run its command. Every value is quoted; a variable name that is not one
/// is refused (it would be shell code in `export`).
pub fn job_script(l: &Launch) -> Result<String> {
    let mut script = format!(
        "#!/bin/sh\ncd {}\n",
        shell_quote(&l.out_dir.display().to_string())
    );
    for (k, v) in &l.env {
        let mut c = k.chars();
        let name_ok = c
            .next()
            .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
            && c.all(|x| x.is_ascii_alphanumeric() || x == '_');
        if !name_ok {
            return Err(Error::Template(format!(
                "'{k}' is not an environment variable name"
            )));
        }
        script += &format!("export {k}={}\n", shell_quote(v));
    }
    script += &format!("exec sh -c {}\n", shell_quote(&l.command));
    Ok(script)
}

impl Backend for Slurm {
    fn launch(&mut self, l: &Launch) -> Result<String> {
        let io = |p: &std::path::Path, e: std::io::Error| Error::Io {
            path: p.display().to_string(),
            source: e,
        };
        std::fs::create_dir_all(&l.out_dir).map_err(|e| io(&l.out_dir, e))?;
        let script = job_script(l)?;
        let path = l.out_dir.join("job.sh");
        std::fs::write(&path, script).map_err(|e| io(&path, e))?;
        let out = run(
            Command::new("sbatch")
                .arg("--parsable")
                .arg(format!("--job-name={}", self.job_name(&l.id)))
                .arg(format!("--output={}", l.stdout.display()))
                .arg(format!("--error={}", l.stderr.display()))
                .args(&self.sbatch_args)
                .arg(&path),
            "sbatch",
        )?;
        let id = out.trim().split(';').next().unwrap_or("").to_string();
        if id.is_empty() {
            return Err(Error::Command {
                what: "sbatch".into(),
                message: "it printed no job id".into(),
            });
        }
        self.jobs.push(id.clone());
        Ok(id)
    }

    fn poll(&mut self, handle: &str) -> Result<Poll> {
        let out = Command::new("scontrol")
            .args(["show", "job", handle, "-o"])
            .output()
            .map_err(|e| Error::Spawn {
                what: "cannot run scontrol".into(),
                source: e,
            })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |k: &str| {
            text.split_whitespace()
                .find_map(|w| w.strip_prefix(k))
                .map(str::to_string)
        };
        let Some(state) = field("JobState=") else {
            // The job record is gone (purged): its outcome is unknown.
            self.jobs.retain(|j| j != handle);
            return Ok(Poll::Exited {
                code: None,
                signal: None,
            });
        };
        match state.as_str() {
            "PENDING" | "RUNNING" | "CONFIGURING" | "COMPLETING" | "SUSPENDED" | "REQUEUED" => {
                Ok(Poll::Running)
            }
            _ => {
                self.jobs.retain(|j| j != handle);
                let (code, sig) = field("ExitCode=")
                    .and_then(|e| {
                        let (a, b) = e.split_once(':')?;
                        Some((a.parse::<i64>().ok()?, b.parse::<i32>().ok()?))
                    })
                    .unwrap_or((-1, 0));
                Ok(match (state.as_str(), code, sig) {
                    ("COMPLETED", 0, _) => Poll::Exited {
                        code: Some(0),
                        signal: None,
                    },
                    (_, c, 0) if c > 0 => Poll::Exited {
                        code: Some(c),
                        signal: None,
                    },
                    (_, _, s) => Poll::Exited {
                        code: None,
                        signal: Some(if s > 0 { s } else { libc::SIGKILL }),
                    },
                })
            }
        }
    }

    fn cancel(&mut self, handle: &str) {
        let _ = Command::new("scancel").arg(handle).output();
        self.jobs.retain(|j| j != handle);
    }

    fn recover_orphan(
        &mut self,
        id: &str,
        handle: Option<&str>,
        _out_dir: Option<&std::path::Path>,
    ) -> Orphan {
        if let Some(h) = handle {
            if let Ok(Poll::Exited { code, signal }) = self.poll(h) {
                return Orphan::Ended { code, signal };
            }
        }
        self.cancel_orphan(id, handle);
        Orphan::Stopped
    }

    fn cancel_orphan(&mut self, id: &str, handle: Option<&str>) {
        match handle {
            Some(h) => {
                let _ = Command::new("scancel").arg(h).output();
            }
            // Killed between sbatch and the journal: find the job by name.
            None => {
                let _ = Command::new("scancel")
                    .arg(format!("--name={}", self.job_name(id)))
                    .output();
            }
        }
    }
}

impl Drop for Slurm {
    fn drop(&mut self) {
        for j in std::mem::take(&mut self.jobs) {
            let _ = Command::new("scancel").arg(&j).output();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_script_quotes_every_value_and_refuses_bad_names() {
        let dir = tempfile::TempDir::new().unwrap();
        let mut l = Launch {
            id: "a|n=1|seed=0".into(),
            command: "printf '%s' \"$V\" > got.txt".into(),
            env: vec![("V".into(), "x'; touch pwned; '$(touch pwned2)".into())],
            out_dir: dir.path().to_path_buf(),
            stdout: dir.path().join("stdout.log"),
            stderr: dir.path().join("stderr.log"),
        };
        let script = job_script(&l).unwrap();
        let st = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .status()
            .unwrap();
        assert!(st.success());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("got.txt")).unwrap(),
            "x'; touch pwned; '$(touch pwned2)"
        );
        assert!(!dir.path().join("pwned").exists());
        assert!(!dir.path().join("pwned2").exists());
        l.env = vec![("X; touch pwned; Y".into(), "0".into())];
        let e = job_script(&l).unwrap_err().to_string();
        assert!(e.contains("not an environment variable name"), "{e}");
    }
}
