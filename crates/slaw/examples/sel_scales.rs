use slaw::selection::protocol::{all_methods, learn_scale};
use slaw::selection::trend::PRIOR;
fn main() {
    let dir = std::path::Path::new("../shared/data/finetune-selection");
    let pools: Vec<_> = ["flan", "wmt19"]
        .iter()
        .map(|f| slaw::datasets::finetune_wide(&dir.join(format!("{f}.csv"))).unwrap())
        .collect();
    let refs: Vec<&[slaw::datasets::Candidate]> = pools.iter().map(|p| p.as_slice()).collect();
    for m in all_methods() {
        if let Some(s) = learn_scale(&m, &refs, &PRIOR) {
            println!("{} {:?}", m.name(), s.quantiles);
        }
    }
}
