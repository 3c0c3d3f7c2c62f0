//! Reading history: which commits a walk yields, in which order, and what
//! each one says. The only module that uses gitoxide's crates (`gix-*`);
//! git.rs keeps git2 for opening repositories, refs and revision syntax, and
//! hands this module plain commit ids.
//!
//! Why a second library: libgit2 1.9 refuses the commit-graph files git
//! writes today (their `GDA2` chunk), so its walk inflates every commit just
//! to learn its parents, and its pack reads share one process-wide lock, so
//! reading does not spread over cores. Here the walk takes parents, commit
//! dates and generation numbers from the commit-graph when a commit is in
//! it (reading the commit otherwise), and every thread reads commits through
//! its own handle on one shared, lock-free object store.
//!
//! The walk's answer must be exact, not a heuristic: a commit already on a
//! protected ref must not be judged again, and a new one must never be
//! missed. See [`Nodes::paint`] for how hidden history is told apart.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

pub use gix_hash::ObjectId;

use crate::git::Stop;
use crate::git::error::GitError;
use crate::policy::approval::CommitSignature;
use crate::policy::facts::{
    CommitFacts, MAX_IDENTITY_BYTES, MAX_MESSAGE_BYTES, OVERSIZED_IDENTITY_KEPT_BYTES, OVERSIZED_MESSAGE_KEPT_BYTES, Oversized, Reading,
};
use crate::policy::identity::Identity;
use crate::policy::rules::{EntryKind, FileChange, Lines};

/// A commit a walk yields: its id, and its raw bytes when the walk read
/// them to learn its parents (the readers then need not read it again).
type Read = (ObjectId, Option<Vec<u8>>);

/// Commits read per job handed to a worker thread.
const CHUNK: usize = 64;
/// Jobs after which a long walk's workers that diff (for blast-radius
/// rules) read from a freshly opened object store: the old one, and the
/// pack pages it mapped for trees, blobs and commits, are let go, so a
/// walk's memory does not grow with the size of the repository's packs.
/// Workers that only read commits keep the repository's store.
const RECYCLE_CHUNKS: usize = 128;

/// A repository's history, ready to be walked and read from any thread.
pub struct History {
    objects: Arc<gix_odb::Store>,
    /// Where `objects` lives, to open it afresh (see [`RECYCLE_CHUNKS`]).
    objects_dir: std::path::PathBuf,
    /// A push's quarantine (objects git received but has not yet moved into
    /// the repository); looked in first.
    quarantine: Option<Arc<gix_odb::Store>>,
    /// git's commit-graph, when the repository has a readable one.
    graph: Option<Arc<gix_commitgraph::Graph>>,
    /// The commits a shallow clone has without their parents.
    shallow: HashSet<ObjectId>,
}

/// One thread's way of reading objects.
pub struct Reader {
    objects: gix_odb::HandleArc,
    /// The store diffs read from (the one `objects` reads, or one a long
    /// walk opened for its diffs alone).
    store: Arc<gix_odb::Store>,
    /// The handles diffs read trees and blobs through, made on first use.
    trees: Option<DiffHandles>,
    quarantine: Option<gix_odb::HandleArc>,
    quarantine_store: Option<Arc<gix_odb::Store>>,
    buf: Vec<u8>,
    /// The parent whose tree a commit's change was last read against, or
    /// the next commit of a chunk the walk read already: in a walk, most
    /// often the next commit read (so each commit is inflated once).
    parent: Option<(ObjectId, Vec<u8>)>,
    /// The tree and first parent of the commit whose facts were read last.
    last: Option<Lineage>,
    /// Buffers a diff reuses: both trees, both blobs, the tree walk's state.
    diff: DiffBuffers,
    /// Notes trees read so far, by id.
    notes_trees: HashMap<ObjectId, NotesTree>,
}

/// A notes tree's entries by name: the object and whether it is a tree.
type NotesTree = HashMap<String, (ObjectId, bool)>;

/// Wraps an error of the object store with what was being done; `context`
/// is written only when there is an error (reads succeed millions of times).
fn history_error<E: std::error::Error + Send + Sync + 'static>(context: impl FnOnce() -> String) -> impl FnOnce(E) -> GitError {
    move |source| GitError::History { context: context(), source: Box::new(source) }
}

/// A commit-graph as last read, and what its files looked like then.
struct CachedGraph {
    stamp: Vec<(u64, i128, u64)>,
    graph: Option<Arc<gix_commitgraph::Graph>>,
}

/// What is kept of a repository between requests: only what cannot go
/// wrong when the repository changes. Objects never change (the store
/// finds packs added since on a miss, and a pack deleted by `git gc` stays
/// readable while mapped), and a commit-graph entry is a fact about an
/// immutable commit; a rewritten graph is read again. Refs are never kept.
struct Cached {
    objects: Arc<gix_odb::Store>,
    graph: CachedGraph,
}

/// Repositories kept, by object directory. libgit2 keeps its packs open
/// across repository handles the same way; opening and mapping a pack's
/// index on every push would cost more than deciding it.
static CACHE: std::sync::LazyLock<std::sync::Mutex<HashMap<std::path::PathBuf, Cached>>> = std::sync::LazyLock::new(Default::default);

/// Beyond this many repositories the cache starts afresh.
const CACHED_REPOSITORIES: usize = 256;

/// Size, modification time and inode of the files a commit-graph is read
/// from (the single file, or the chain and the files it names).
fn graph_stamp(info: &Path) -> Vec<(u64, i128, u64)> {
    use std::os::unix::fs::MetadataExt;
    let stamp = |path: &Path| {
        std::fs::metadata(path).ok().map(|m| (m.len(), i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()), m.ino()))
    };
    let mut stamps: Vec<(u64, i128, u64)> = Vec::new();
    stamps.extend(stamp(&info.join("commit-graph")));
    let chain = info.join("commit-graphs").join("commit-graph-chain");
    if let Some(chain_stamp) = stamp(&chain) {
        stamps.push(chain_stamp);
        if let Ok(text) = std::fs::read_to_string(&chain) {
            for hash in text.lines() {
                stamps.extend(stamp(&info.join("commit-graphs").join(format!("graph-{hash}.graph"))));
            }
        }
    }
    stamps
}

/// The object store and commit-graph of `objects_dir`, from the cache when
/// still good.
fn cached(objects_dir: &Path) -> Result<(Arc<gix_odb::Store>, Option<Arc<gix_commitgraph::Graph>>), GitError> {
    let info = objects_dir.join("info");
    let stamp = graph_stamp(&info);
    let read_graph = || gix_commitgraph::Graph::from_info_dir(&info).ok().map(Arc::new);
    let mut cache = CACHE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(entry) = cache.get_mut(objects_dir) {
        if entry.graph.stamp != stamp {
            entry.graph = CachedGraph { graph: read_graph(), stamp };
        }
        return Ok((entry.objects.clone(), entry.graph.graph.clone()));
    }
    if cache.len() >= CACHED_REPOSITORIES {
        cache.clear();
    }
    let objects = open_store(objects_dir)?;
    // A missing or unreadable commit-graph only makes walks slower.
    let graph = read_graph();
    cache.insert(objects_dir.to_owned(), Cached { objects: objects.clone(), graph: CachedGraph { stamp, graph: graph.clone() } });
    Ok((objects, graph))
}

fn open_store(objects: &Path) -> Result<Arc<gix_odb::Store>, GitError> {
    let store = gix_odb::Store::at_opts(
        objects.to_owned(),
        gix_hash::Kind::Sha1,
        &mut std::iter::empty(),
        gix_odb::store::init::Options::default(),
    )
    .map_err(history_error(|| format!("cannot open the object store {}", objects.display())))?;
    Ok(Arc::new(store))
}

/// Bytes of decoded objects each reader keeps as delta bases: git's packs
/// store a path's newest version whole and each older one as a delta on
/// the next newer, so reading history newest first finds each tree's base
/// among the last ones read (without it, every read resolves its chain).
const PACK_CACHE_BYTES: usize = 4 << 20;
/// Bytes of whole objects each reader keeps: a diff reads a commit's trees
/// and its parent's, and the next commit in the walk is that parent.
const OBJECT_CACHE_BYTES: usize = 2 << 20;

/// Bytes of decoded commits each reader keeps as delta bases. A commit is
/// read once, but a pack that `git pack-objects` wrote (a push's, or any
/// repack) stores most commits as deltas on the next newer one, so reading
/// newest first finds each base among the last few read (without it, every
/// commit resolves its chain, up to 50 inflates).
const COMMIT_CACHE_BYTES: usize = 256 << 10;

/// A handle for commits, with a few delta bases (see above).
fn handle(store: &Arc<gix_odb::Store>) -> gix_odb::HandleArc {
    let mut handle = store.to_cache_arc();
    handle.set_pack_cache(|| Box::new(gix_pack::cache::lru::StaticLinkedList::<8>::new(COMMIT_CACHE_BYTES)));
    handle
}

/// A handle for diffs, with the caches above.
fn diff_handle(store: &Arc<gix_odb::Store>) -> gix_odb::HandleArc {
    let mut handle = store.to_cache_arc();
    handle.set_pack_cache(|| Box::new(gix_pack::cache::lru::StaticLinkedList::<64>::new(PACK_CACHE_BYTES)));
    handle.set_object_cache(|| Box::new(gix_pack::cache::object::MemoryCappedHashmap::new(OBJECT_CACHE_BYTES)));
    handle
}

/// A handle for commits in a push's quarantine. Everything a push brings
/// is there, in the pack the pusher's `git pack-objects` made (commits,
/// trees and blobs as deltas), so it keeps the caches of its kind.
fn quarantine_handle(store: &Arc<gix_odb::Store>) -> gix_odb::HandleArc {
    never_refreshed(handle(store))
}

/// A handle for diffs in a push's quarantine (see above).
fn quarantine_diff_handle(store: &Arc<gix_odb::Store>) -> gix_odb::HandleArc {
    never_refreshed(diff_handle(store))
}

fn never_refreshed(mut handle: gix_odb::HandleArc) -> gix_odb::HandleArc {
    // A quarantine lives for one push and is complete when the hook runs;
    // nearly every lookup misses it (it is asked first), and a miss must
    // not rescan its folder.
    handle.refresh_never();
    handle
}

/// The handles a reader's diffs read through.
struct DiffHandles {
    objects: gix_odb::HandleArc,
    quarantine: Option<gix_odb::HandleArc>,
}

/// The objects diffs read, through handles made on first use.
fn diff_objects<'r>(
    trees: &'r mut Option<DiffHandles>,
    store: &Arc<gix_odb::Store>,
    quarantine: Option<&Arc<gix_odb::Store>>,
) -> Objects<'r> {
    let handles =
        trees.get_or_insert_with(|| DiffHandles { objects: diff_handle(store), quarantine: quarantine.map(quarantine_diff_handle) });
    Objects { objects: &handles.objects, quarantine: handles.quarantine.as_ref() }
}

impl History {
    /// Opens the history of the repository whose common git dir is `common`
    /// (objects in `common/objects`), with a push's `quarantine` when given.
    pub fn open(common: &Path, quarantine: Option<&Path>) -> Result<History, GitError> {
        let objects_dir = common.join("objects");
        let (objects, graph) = cached(&objects_dir)?;
        let quarantine = quarantine.map(open_store).transpose()?;
        let shallow = match std::fs::read(common.join("shallow")) {
            Ok(text) => text.split(|&b| b == b'\n').filter_map(|line| ObjectId::from_hex(line.trim_ascii()).ok()).collect(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
            Err(error) => return Err(history_error(|| "cannot read the list of shallow commits".to_owned())(error)),
        };
        Ok(History { objects, objects_dir, quarantine, graph, shallow })
    }

    /// Whether the repository has a readable commit-graph.
    pub fn has_graph(&self) -> bool {
        self.graph.is_some()
    }

    /// A reader for the calling thread.
    pub fn reader(&self) -> Reader {
        self.reader_on(&self.objects)
    }

    /// A reader of `store` (the repository's objects), with the quarantine.
    fn reader_on(&self, store: &Arc<gix_odb::Store>) -> Reader {
        Reader {
            objects: handle(store),
            store: Arc::clone(store),
            trees: None,
            quarantine: self.quarantine.as_ref().map(quarantine_handle),
            quarantine_store: self.quarantine.clone(),
            buf: Vec::new(),
            parent: None,
            last: None,
            diff: DiffBuffers::default(),
            notes_trees: HashMap::new(),
        }
    }

    /// The commits reachable from `tips` but not from any of `hidden`, each
    /// once, in `order`.
    pub fn walk(&self, tips: &[ObjectId], hidden: &[ObjectId], order: Order) -> Result<Walk<'_>, GitError> {
        self.walk_until(tips, hidden, order, &Stop::never())
    }

    /// [`History::walk`], giving up (with [`GitError::Stopped`]) when
    /// `stop` says so while it works out which commits to walk.
    pub fn walk_until(&self, tips: &[ObjectId], hidden: &[ObjectId], order: Order, stop: &Stop) -> Result<Walk<'_>, GitError> {
        let mut nodes = Nodes {
            history: self,
            reader: self.reader(),
            nodes: Vec::new(),
            index: HashMap::new(),
            parents: Vec::new(),
            stop: stop.clone(),
            kept: None,
        };
        let tips: Vec<u32> = tips.iter().map(|id| nodes.intern(*id)).collect();
        let hidden: Vec<u32> = hidden.iter().map(|id| nodes.intern(*id)).collect();
        let limited = !hidden.is_empty();
        if order == Order::Topological && (limited || self.graph.is_none()) {
            // The order is known only once the paint is done: without a
            // commit-graph every commit must be read for it, and a limited
            // walk reads the commits outside the graph (a push's) to tell
            // them from hidden ones. The walk is painted as it is drained,
            // so commits are judged while it goes on (see
            // [`History::drain`]); one found hidden later is left out.
            nodes.kept = Some(Kept::default());
            let mut paint = Paint::new(self.graph.is_some());
            for &tip in &tips {
                nodes.mark(&mut paint, tip, VISIBLE)?;
            }
            for &tip in &hidden {
                nodes.mark(&mut paint, tip, HIDDEN)?;
            }
            let mode = Mode::Painting(Painting { paint, read: Vec::new(), graphs_part: None });
            return Ok(Walk { nodes, mode, notes: Vec::new(), judge_unordered: false });
        }
        if order == Order::Topological {
            // The commits read (outside the commit-graph) to learn the
            // order are handed on, as `git log --topo-order` keeps them: a
            // repository without a graph has each commit inflated once.
            nodes.kept = Some(Kept::default());
        }
        if limited || order == Order::Topological {
            nodes.paint(&tips, &hidden)?;
        }
        let mode = match order {
            Order::Topological => {
                let kept = nodes.kept.take().unwrap_or_default();
                let listed = Listed::of(&nodes, nodes.topological(), kept);
                // Only the list is needed from here on: give the rest back
                // (hidden commits' text too) before the commits are read.
                nodes.nodes = Vec::new();
                nodes.index = HashMap::new();
                nodes.parents = Vec::new();
                Mode::Listed(listed)
            }
            Order::Date => {
                // Commits read from here on are handed to the readers.
                nodes.kept = Some(Kept::default());
                let mut dated = Dated { heap: BinaryHeap::new(), seq: 0, limited };
                for tip in tips {
                    if dated.admits(&nodes, tip) {
                        dated.push(&mut nodes, tip)?;
                    }
                }
                Mode::Dated(dated)
            }
        };
        Ok(Walk { nodes, mode, notes: Vec::new(), judge_unordered: false })
    }

    /// Hands what `work` makes of each commit `walk` yields to `visit`, in
    /// walk order, until `visit` breaks. `work` is given a [`Chunk`] of
    /// commits at a time (so it can check their signatures as one batch),
    /// and gives one result for each. A short walk is read right here; a long
    /// one is read on worker threads (one per core, each with its own
    /// reader), in chunks of [`CHUNK`] commits, while this thread walks.
    ///
    /// A topological walk without a commit-graph, or limited by hidden
    /// commits, learns its order (and, limited, which commits it holds)
    /// only once it is painted: its commits outside the graph (a push's)
    /// are judged in the order they are painted, while the walk goes on,
    /// and the results of those it holds handed to `visit` in topological
    /// order once it is painted (held as results until then, as the walk
    /// held their text; the first ones while the last are still judged);
    /// then those inside the graph, as a listed walk.
    pub fn drain<T: Send>(
        &self,
        mut walk: Walk<'_>,
        work: &(impl Fn(&mut Chunk<'_>) -> Result<Vec<T>, GitError> + Sync),
        visit: &mut impl FnMut(T) -> ControlFlow<()>,
    ) -> Result<(), GitError> {
        if !matches!(walk.mode, Mode::Painting(_)) {
            return self.drain_in_order(&mut walk, work, &mut InOrder(visit));
        }
        walk.judge_unordered = true;
        let mut painted = Painted { results: Vec::new(), order: None, next: 0, stopped: false, visit: &mut *visit };
        self.drain_in_order(&mut walk, work, &mut painted)?;
        if painted.ready(&mut walk).is_break() {
            return Ok(());
        }
        drop(painted);
        // The commits inside the commit-graph come after (their children
        // outside it are handed on already), read as a listed walk.
        walk.judge_unordered = false;
        if !walk.list_the_graphs_part() {
            return Ok(());
        }
        self.drain_in_order(&mut walk, work, &mut InOrder(visit))
    }

    /// [`History::drain`] in the order the walk yields.
    fn drain_in_order<T: Send>(
        &self,
        walk: &mut Walk<'_>,
        work: &(impl Fn(&mut Chunk<'_>) -> Result<Vec<T>, GitError> + Sync),
        sink: &mut impl Sink<T>,
    ) -> Result<(), GitError> {
        let mut first = Vec::with_capacity(CHUNK);
        while first.len() < CHUNK {
            match walk.next_read() {
                Some(item) => first.push(item?),
                None => break,
            }
        }
        if first.len() < CHUNK {
            // The walk is over: read these few right here.
            let notes = std::mem::take(&mut walk.notes);
            let reader = &mut walk.nodes.reader;
            for item in reader.judge(&first, &notes, work)? {
                if sink.take(item).is_break() {
                    break;
                }
            }
            return Ok(());
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        // A painting walk keeps this thread busy reading every commit: it
        // leaves a core to it.
        let workers = if walk.judge_unordered { cores.saturating_sub(1) } else { cores }.clamp(1, 8);
        self.drain_in_parallel(first, walk, workers, work, sink)
    }

    fn drain_in_parallel<T: Send, S: Sink<T>>(
        &self,
        first: Vec<Read>,
        walk: &mut Walk<'_>,
        workers: usize,
        work: &(impl Fn(&mut Chunk<'_>) -> Result<Vec<T>, GitError> + Sync),
        sink: &mut S,
    ) -> Result<(), GitError> {
        use std::collections::BTreeMap;
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Mutex, mpsc};

        type Done<T> = (usize, Result<Vec<T>, GitError>);
        // Only a painting walk's thread reads commits itself: it is the
        // walk that leaves a core to it (a diff it makes for a rule uses
        // this thread's reader).
        let caller_runs = walk.judge_unordered;
        let notes = std::mem::take(&mut walk.notes);
        let (jobs, queue) = mpsc::sync_channel::<(usize, Vec<Read>)>(workers * 4);
        let queue = Mutex::new(queue);
        let (done, results) = mpsc::channel::<Done<T>>();
        let stop = AtomicBool::new(false);
        // The store the workers' diffs read trees and blobs from, and its
        // generation (commits are read through the repository's kept store).
        // Opened when a worker first diffs: a walk without rules opens none.
        let fresh = || open_store(&self.objects_dir).unwrap_or_else(|_| self.objects.clone());
        let stores: Mutex<Option<(usize, Arc<gix_odb::Store>)>> = Mutex::new(None);
        let current = || {
            let mut guard = stores.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let (generation, store) = guard.get_or_insert_with(|| (0, fresh()));
            (*generation, Arc::clone(store))
        };
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let (queue, done, stop, notes, current) = (&queue, done.clone(), &stop, &notes, &current);
                scope.spawn(move || {
                    // Commits only: the kept store, as a short walk reads.
                    let mut reader = self.reader();
                    let mut generation = None;
                    loop {
                        let job = queue.lock().map_or(None, |queue| queue.recv().ok());
                        let Some((seq, ids)) = job else { return };
                        if stop.load(Ordering::Relaxed) {
                            continue;
                        }
                        // A reader that diffs reads everything from the
                        // newest store, letting the pages of the last go.
                        if reader.trees.is_some() {
                            let (now, store) = current();
                            if generation != Some(now) {
                                generation = Some(now);
                                reader = self.reader_on(&store);
                            }
                        }
                        let read = reader.judge(&ids, notes, work);
                        if done.send((seq, read)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(done);

            // Emits finished chunks in order; false once `visit` broke.
            let mut pending: BTreeMap<usize, Result<Vec<T>, GitError>> = BTreeMap::new();
            let mut next = 0;
            let mut emit = |pending: &mut BTreeMap<usize, Result<Vec<T>, GitError>>, sink: &mut S| -> Result<bool, GitError> {
                while let Some(chunk) = pending.remove(&next) {
                    next += 1;
                    for item in chunk? {
                        if sink.take(item).is_break() {
                            return Ok(false);
                        }
                    }
                }
                Ok(true)
            };
            let (mut sent, mut received) = (0, 0);
            let mut outcome: Result<bool, GitError> = Ok(true);
            let mut chunk = first;
            let mut walk_over = false;
            loop {
                if chunk.len() == CHUNK {
                    let job = (sent, std::mem::take(&mut chunk));
                    if caller_runs {
                        // A painting walk: when the workers are behind,
                        // this thread reads the chunk itself rather than
                        // wait with a core idle.
                        match jobs.try_send(job) {
                            Ok(()) => {}
                            Err(mpsc::TrySendError::Full((seq, ids))) => {
                                let read = walk.nodes.reader.judge(&ids, &notes, work);
                                pending.insert(seq, read);
                                received += 1;
                            }
                            Err(mpsc::TrySendError::Disconnected(_)) => break,
                        }
                    } else if jobs.send(job).is_err() {
                        break;
                    }
                    sent += 1;
                    if sent % RECYCLE_CHUNKS == 0 {
                        let mut guard = stores.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        if let Some((generation, _)) = *guard {
                            *guard = Some((generation + 1, fresh()));
                        }
                    }
                    while let Ok((seq, read)) = results.try_recv() {
                        pending.insert(seq, read);
                        received += 1;
                    }
                    outcome = emit(&mut pending, sink);
                    if !matches!(outcome, Ok(true)) {
                        break;
                    }
                }
                match walk.next_read() {
                    Some(Ok(item)) => chunk.push(item),
                    Some(Err(error)) => {
                        outcome = Err(error);
                        break;
                    }
                    None => {
                        walk_over = true;
                        if !chunk.is_empty() && jobs.send((sent, std::mem::take(&mut chunk))).is_ok() {
                            sent += 1;
                        }
                        break;
                    }
                }
            }
            drop(jobs);
            // The walk is over. Rather than wait with a core idle, this
            // thread hands on what is ready (a painted walk's results, in
            // their order) and reads the chunks no worker has taken yet.
            let ready = |sink: &mut S, walk: &mut Walk<'_>| walk_over && sink.ready(walk).is_break();
            while matches!(outcome, Ok(true)) {
                if ready(sink, walk) {
                    outcome = Ok(false);
                    break;
                }
                let job = if caller_runs { queue.lock().map_or(None, |queue| queue.try_recv().ok()) } else { None };
                let Some((seq, ids)) = job else { break };
                pending.insert(seq, walk.nodes.reader.judge(&ids, &notes, work));
                received += 1;
                while let Ok((seq, read)) = results.try_recv() {
                    pending.insert(seq, read);
                    received += 1;
                }
                outcome = emit(&mut pending, sink);
            }
            while matches!(outcome, Ok(true)) && received < sent {
                let Ok((seq, read)) = results.recv() else { break };
                pending.insert(seq, read);
                received += 1;
                outcome = emit(&mut pending, sink);
                if matches!(outcome, Ok(true)) && ready(sink, walk) {
                    outcome = Ok(false);
                }
            }
            // Let workers skip what is left, then join them (end of scope).
            stop.store(true, Ordering::Relaxed);
            outcome.map(|_| ())
        })
    }
}

/// Where [`History::drain`] hands the results of its chunks, in the order
/// the walk yielded their commits.
trait Sink<T> {
    /// Takes the next result; `Break` ends the walk.
    fn take(&mut self, item: T) -> ControlFlow<()>;

    /// Called once the walk is read to its end, whenever the drain would
    /// otherwise wait: hands on whatever is ready.
    fn ready(&mut self, walk: &mut Walk<'_>) -> ControlFlow<()>;
}

/// Each result straight to `visit`.
struct InOrder<'v, V>(&'v mut V);

impl<T, V: FnMut(T) -> ControlFlow<()>> Sink<T> for InOrder<'_, V> {
    fn take(&mut self, item: T) -> ControlFlow<()> {
        (self.0)(item)
    }

    fn ready(&mut self, _: &mut Walk<'_>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

/// A painting walk's results, held until its order is known (the walk is
/// read to its end), then handed to `visit` in that order as far as they
/// have come in: the last of them while the last chunks are still read.
struct Painted<'v, T, V> {
    /// By position in the order the walk yielded the commits.
    results: Vec<Option<T>>,
    /// The positions in topological order, once known.
    order: Option<Vec<usize>>,
    /// How far into `order` results were handed on.
    next: usize,
    /// Whether `visit` broke: nothing more is handed on.
    stopped: bool,
    visit: &'v mut V,
}

impl<T, V: FnMut(T) -> ControlFlow<()>> Sink<T> for Painted<'_, T, V> {
    fn take(&mut self, item: T) -> ControlFlow<()> {
        self.results.push(Some(item));
        ControlFlow::Continue(())
    }

    fn ready(&mut self, walk: &mut Walk<'_>) -> ControlFlow<()> {
        if self.stopped {
            return ControlFlow::Break(());
        }
        let order = self.order.get_or_insert_with(|| walk.painted_order());
        // Up to the first result not in yet.
        while let Some(slot) = order.get(self.next).and_then(|&position| self.results.get_mut(position)) {
            self.next += 1;
            if let Some(item) = slot.take()
                && (self.visit)(item).is_break()
            {
                self.stopped = true;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }
}

impl Reader {
    /// Keeps `bytes` as commit `id`'s, to be read again soon.
    fn keep_parent(&mut self, id: &ObjectId, bytes: &[u8]) {
        if self.parent.as_ref().is_some_and(|(kept, _)| kept == id) {
            return;
        }
        let mut kept = self.parent.take().map(|(_, bytes)| bytes).unwrap_or_default();
        kept.clear();
        kept.extend_from_slice(bytes);
        self.parent = Some((*id, kept));
    }

    /// `work` of a chunk of commits.
    fn judge<T>(
        &mut self,
        items: &[Read],
        notes: &[(String, ObjectId)],
        work: &impl Fn(&mut Chunk<'_>) -> Result<Vec<T>, GitError>,
    ) -> Result<Vec<T>, GitError> {
        work(&mut Chunk { reader: self, items, notes, next: 0 })
    }

    /// The raw bytes of commit `id` (the quarantine is looked in first).
    fn commit(&mut self, id: &ObjectId, size: Size) -> Result<&[u8], GitError> {
        if let Some((kept, bytes)) = &self.parent
            && kept == id
        {
            return Ok(bytes);
        }
        let missing = || GitError::MissingObject { id: id.to_string() };
        let mut kind = None;
        if let Some(quarantine) = &self.quarantine {
            kind = read_commit(quarantine, id, &mut self.buf, size)?;
        }
        if kind.is_none() {
            kind = read_commit(&self.objects, id, &mut self.buf, size)?;
        }
        match kind {
            Some(gix_object::Kind::Commit) => Ok(&self.buf),
            _ => Err(missing()),
        }
    }

    /// [`Reader::facts`], with the commit's notes from `notes` (trees of
    /// notes commits, with their refs). A note that cannot be read is left
    /// out: notes only add markers.
    pub fn facts_with_notes(&mut self, id: &ObjectId, notes: &[(String, ObjectId)]) -> Result<CommitFacts, GitError> {
        let mut facts = self.facts(id)?;
        for (notes_ref, tree) in notes {
            if let Some(text) = self.note(tree, id) {
                facts.notes.push((notes_ref.clone(), text));
            }
        }
        Ok(facts)
    }

    /// The note for `commit` in the notes tree `tree`: a blob named by the
    /// commit's hex id, at the top or under fan-out folders (`ab/cdef…`).
    fn note(&mut self, tree: &ObjectId, commit: &ObjectId) -> Option<String> {
        let mut buffer = [0u8; 64];
        let hex = commit.hex_to_buf(&mut buffer);
        let mut at = *tree;
        let mut used = 0;
        loop {
            self.load_notes_tree(&at)?;
            let entries = self.notes_trees.get(&at)?;
            let rest = &hex[used..];
            if let Some(&(blob, false)) = entries.get(rest) {
                let (kind, blob) = self.object(&blob, crate::policy::notes::MAX_NOTE_BYTES as u64)?;
                return (kind == gix_object::Kind::Blob && blob.len() <= crate::policy::notes::MAX_NOTE_BYTES)
                    .then(|| String::from_utf8_lossy(&blob).into_owned());
            }
            let &(next, true) = entries.get(rest.get(..2)?)? else { return None };
            at = next;
            used += 2;
            if used >= hex.len() {
                return None;
            }
        }
    }

    /// Reads a notes tree's entries by name, once (every commit looks here).
    fn load_notes_tree(&mut self, id: &ObjectId) -> Option<()> {
        if self.notes_trees.contains_key(id) {
            return Some(());
        }
        let (kind, data) = self.object(id, u64::MAX)?;
        if kind != gix_object::Kind::Tree {
            return None;
        }
        let decoded = gix_object::TreeRef::from_bytes(&data, gix_hash::Kind::Sha1).ok()?;
        let entries: NotesTree =
            decoded.entries.iter().map(|entry| (entry.filename.to_string(), (entry.oid.to_owned(), entry.mode.is_tree()))).collect();
        self.notes_trees.insert(*id, entries);
        Some(())
    }

    /// Any object's kind and bytes, when it is at most `limit` bytes (its
    /// header is read first; the quarantine is looked in first).
    fn object(&mut self, id: &ObjectId, limit: u64) -> Option<(gix_object::Kind, Vec<u8>)> {
        use gix_object::{Find as _, FindHeader as _};
        let mut buf = Vec::new();
        let store = match &self.quarantine {
            Some(quarantine) if gix_object::Exists::exists(quarantine, id) => quarantine,
            _ => &self.objects,
        };
        if store.try_header(id).ok()??.size > limit {
            return None;
        }
        let data = store.try_find(id, &mut buf).ok()??;
        Some((data.kind, data.data.to_vec()))
    }

    /// [`Reader::facts_with_notes`], from the commit's raw `bytes` when the
    /// walk already read them.
    fn facts_read(&mut self, id: &ObjectId, bytes: Option<&[u8]>, notes: &[(String, ObjectId)]) -> Result<CommitFacts, GitError> {
        let Some(bytes) = bytes else { return self.facts_with_notes(id, notes) };
        let (mut facts, lineage) = facts_of(id, bytes)?;
        self.last = Some(lineage);
        for (notes_ref, tree) in notes {
            if let Some(text) = self.note(tree, id) {
                facts.notes.push((notes_ref.clone(), text));
            }
        }
        Ok(facts)
    }

    /// Reads commit `id` into plain facts.
    pub fn facts(&mut self, id: &ObjectId) -> Result<CommitFacts, GitError> {
        let bytes = self.commit(id, Size::Bounded)?;
        let (facts, lineage) = facts_of(id, bytes)?;
        self.last = Some(lineage);
        Ok(facts)
    }
}

/// A raw commit's plain facts.
fn facts_of<'a>(id: &ObjectId, bytes: &'a [u8]) -> Result<(CommitFacts, Lineage), GitError> {
    let mut commit = parse_commit(bytes).map_err(|reason| GitError::BadCommit { id: id.to_string(), reason })?;
    // git shows a message (and names) in the encoding the commit
    // declares; read them the same way, or the text git shows and the
    // text we judge could differ (a UTF-7 message hides its markers).
    let declared = commit.encoding.map(|label| match std::str::from_utf8(label) {
        Ok(label) => label.to_owned(),
        Err(_) => "a label that is not UTF-8".to_owned(),
    });
    let (encoding, unreadable_encoding) = match declared.as_deref().map(|label| (label, encoding_rs::Encoding::for_label(label.as_bytes())))
    {
        None => (encoding_rs::UTF_8, None),
        Some((_, Some(encoding)))
            if encoding != encoding_rs::REPLACEMENT && encoding != encoding_rs::UTF_16LE && encoding != encoding_rs::UTF_16BE =>
        {
            (encoding, None)
        }
        Some((label, _)) => (encoding_rs::UTF_8, Some(label.to_owned())),
    };
    let decode = |bytes: &[u8]| encoding.decode_without_bom_handling(bytes).0.into_owned();
    let identity = |signature: Signature<'_>| Identity::new(decode(signature.name), decode(signature.email));
    // A message or an identity too long to judge is not read past its start
    // (the policy refuses the commit unjudged).
    let mut oversized = None;
    let mut bounded = |role: &'static str, signature: Signature<'a>| {
        let bytes = signature.name.len() + signature.email.len();
        if bytes <= MAX_IDENTITY_BYTES {
            return signature;
        }
        oversized = oversized.or(Some(Oversized::Identity { role, bytes }));
        let start = |part: &'a [u8]| &part[..part.len().min(OVERSIZED_IDENTITY_KEPT_BYTES)];
        Signature { name: start(signature.name), email: start(signature.email), time: signature.time }
    };
    commit.author = bounded("author", commit.author);
    commit.committer = bounded("committer", commit.committer);
    if commit.message.len() > MAX_MESSAGE_BYTES {
        oversized = oversized.or(Some(Oversized::Message(commit.message.len())));
    }
    let text = if commit.message.len() > MAX_MESSAGE_BYTES { &commit.message[..OVERSIZED_MESSAGE_KEPT_BYTES] } else { commit.message };
    let (author, committer, message) = (identity(commit.author), identity(commit.committer), decode(text));
    let mut other_readings = Vec::new();
    if encoding != encoding_rs::UTF_8 {
        // Each line on its own: no decoder state carries over a newline,
        // so no newline is lost however the bytes before it are broken.
        let by_line: Vec<String> = text.split(|&b| b == b'\n').map(decode).collect();
        let by_line = by_line.join("\n");
        // The bytes as they are: git shows them when iconv fails.
        let lossy = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let raw = Reading {
            author: Identity::new(lossy(commit.author.name), lossy(commit.author.email)),
            committer: Identity::new(lossy(commit.committer.name), lossy(commit.committer.email)),
            message: lossy(text),
        };
        if by_line != message {
            other_readings.push(Reading { author: author.clone(), committer: committer.clone(), message: by_line });
        }
        if raw.message != message || raw.author != author || raw.committer != committer {
            other_readings.push(raw);
        }
    }
    let lineage = Lineage { commit: *id, tree: commit.tree, first_parent: commit.parents.first().copied() };
    let facts = CommitFacts {
        id: id.to_string(),
        malformed: header_problem(bytes).map(str::to_owned),
        parent_ids: commit.parents.iter().map(ObjectId::to_string).collect(),
        author,
        committer,
        author_time: commit.author.time,
        committer_time: commit.committer.time,
        message,
        unreadable_encoding,
        oversized,
        other_readings,
        notes: Vec::new(),
        change_id: None,
        // Only a merge's signature matters (it can approve a branch).
        signature: if commit.parents.len() > 1 { signed_payload(bytes, b"gpgsig") } else { None },
    };
    Ok((facts, lineage))
}

/// A commit's tree and first parent, as the object records them.
#[derive(Clone, Copy)]
struct Lineage {
    commit: ObjectId,
    tree: ObjectId,
    first_parent: Option<ObjectId>,
}

// ---------------------------------------------------------------- diffs

/// Blobs larger than this are not diffed: every line of both sides counts
/// as changed (an upper bound, found in linear time).
pub const MAX_DIFFED_BLOB_BYTES: usize = 1 << 20;
/// How much of a blob git looks at to call it binary (`FIRST_FEW_BYTES`).
const BINARY_SNIFF_BYTES: usize = 8000;

/// What a diff reuses between commits.
#[derive(Default)]
struct DiffBuffers {
    old_tree: Vec<u8>,
    new_tree: Vec<u8>,
    old_blob: Vec<u8>,
    new_blob: Vec<u8>,
    state: gix_diff::tree::State,
}

/// The repository's objects, a push's quarantine first.
struct Objects<'r> {
    objects: &'r gix_odb::HandleArc,
    quarantine: Option<&'r gix_odb::HandleArc>,
}

impl gix_object::Find for Objects<'_> {
    fn try_find<'a>(&self, id: &gix_hash::oid, buffer: &'a mut Vec<u8>) -> gix_error::Result<Option<gix_object::Data<'a>>> {
        if let Some(quarantine) = self.quarantine {
            if gix_object::Exists::exists(quarantine, id) {
                return quarantine.try_find(id, buffer);
            }
        }
        self.objects.try_find(id, buffer)
    }
}

/// The largest commit object the gate reads. A message is judged up to
/// [`MAX_MESSAGE_BYTES`]; a larger commit is refused as soon as it is read
/// (a message of gigabytes packs into megabytes): nothing more is done with
/// it, and libgit2, which would read it again, is not asked about it. Its
/// size is known only once it is inflated: reading every commit's header
/// first costs a push of 1,000 commits 6% more (a header read inflates the
/// start of each delta of the chain), and git's own receive-pack has
/// inflated each pushed object already.
pub const MAX_COMMIT_BYTES: u64 = 16 << 20;

/// Whether a commit read may be over [`MAX_COMMIT_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    /// One that may be judged: larger is an error.
    Bounded,
    /// History the repository had, read for its parents or tree alone.
    Any,
}

/// Reads object `id` from `store` into `buf`; its kind, `None` when `store`
/// does not have it. A commit over [`MAX_COMMIT_BYTES`] is an error when
/// `size` is bounded.
fn read_commit(store: &gix_odb::HandleArc, id: &ObjectId, buf: &mut Vec<u8>, size: Size) -> Result<Option<gix_object::Kind>, GitError> {
    use gix_object::Find as _;
    let context = || format!("cannot read object {id}");
    let kind = store.try_find(id, buf).map_err(history_error(&context))?.map(|data| data.kind);
    if size == Size::Bounded && kind == Some(gix_object::Kind::Commit) && buf.len() as u64 > MAX_COMMIT_BYTES {
        let bytes = buf.len() as u64;
        *buf = Vec::new();
        return Err(GitError::TooLarge { kind: crate::git::LargeKind::Commit, id: id.to_string(), bytes, limit: MAX_COMMIT_BYTES });
    }
    Ok(kind)
}

/// The kind of a tree entry that is not a tree.
fn entry_kind(mode: gix_object::tree::EntryMode) -> Option<EntryKind> {
    if mode.is_tree() {
        None
    } else if mode.is_commit() {
        Some(EntryKind::Submodule)
    } else if mode.is_link() {
        Some(EntryKind::Symlink)
    } else if mode.is_executable() {
        Some(EntryKind::Executable)
    } else {
        Some(EntryKind::File)
    }
}

/// Lines in `data` as git counts them (a last line without a newline counts).
fn line_count(data: &[u8]) -> u64 {
    let newlines = data.iter().filter(|&&b| b == b'\n').count() as u64;
    newlines + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

/// Whether git calls `data` binary: a NUL in its first 8000 bytes.
pub fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(BINARY_SNIFF_BYTES)].contains(&0)
}

/// Lines added and deleted from `old` to `new`, as `git diff --numstat`
/// counts them with its default (Myers) diff; `None` when either is binary.
pub fn count_lines(old: &[u8], new: &[u8]) -> Option<Lines> {
    if is_binary(old) || is_binary(new) {
        return None;
    }
    if old.len() > MAX_DIFFED_BLOB_BYTES || new.len() > MAX_DIFFED_BLOB_BYTES {
        return Some(Lines { added: line_count(new), deleted: line_count(old) });
    }
    let input = imara_diff::InternedInput::new(imara_diff::sources::byte_lines(old), imara_diff::sources::byte_lines(new));
    let diff = imara_diff::Diff::compute(imara_diff::Algorithm::Myers, &input);
    Some(Lines { added: u64::from(diff.count_additions()), deleted: u64::from(diff.count_removals()) })
}

impl Reader {
    /// Calls `visit` for each file commit `id` changes against its recorded
    /// first parent (a root commit: against the empty tree), without rename
    /// detection, as `git diff-tree -r --no-renames` lists them; line counts
    /// for the files `lines_for` accepts. Stops (with
    /// [`GitError::Stopped`]) when `stop` says so.
    pub fn changed_files(
        &mut self,
        id: &ObjectId,
        lines_for: &dyn Fn(&[u8]) -> bool,
        visit: &mut dyn FnMut(&FileChange<'_>),
        stop: &Stop,
    ) -> Result<(), GitError> {
        let (parent_tree, tree) = self.change_trees(id)?;
        let records = self.tree_diff(parent_tree.as_ref(), &tree)?;
        let Reader { store, trees, quarantine_store, diff: buffers, .. } = self;
        let objects = diff_objects(trees, store, quarantine_store.as_ref());
        let context = || format!("cannot diff commit {id}");
        for change in &records {
            if stop.now() {
                return Err(GitError::Stopped);
            }
            let (path, old, new) = sides(change);
            let old_kind = old.and_then(|(mode, _)| entry_kind(mode));
            let new_kind = new.and_then(|(mode, _)| entry_kind(mode));
            if old_kind.is_none() && new_kind.is_none() {
                continue; // a tree: its files are listed on their own
            }
            let path: &[u8] = path.as_ref();
            let text = |kind: Option<EntryKind>| matches!(kind, Some(EntryKind::File | EntryKind::Executable | EntryKind::Symlink));
            let lines = if lines_for(path) && !(old_kind == Some(EntryKind::Submodule) || new_kind == Some(EntryKind::Submodule)) {
                let blob = |side: Option<(gix_object::tree::EntryMode, &ObjectId)>, kind, buf: &mut Vec<u8>| -> Result<(), GitError> {
                    buf.clear();
                    if let (Some((_, oid)), true) = (side, text(kind)) {
                        objects.blob(oid, buf, context)?;
                    }
                    Ok(())
                };
                blob(old, old_kind, &mut buffers.old_blob)?;
                blob(new, new_kind, &mut buffers.new_blob)?;
                count_lines(&buffers.old_blob, &buffers.new_blob)
            } else {
                None
            };
            visit(&FileChange { path, old: old_kind, new: new_kind, lines });
        }
        Ok(())
    }

    /// The trees commit `id`'s change is between: its first parent's as
    /// the object records it (none for a root commit; `info/grafts`, which
    /// git's reading of a push ignores, is not read) and its own.
    pub fn change_trees(&mut self, id: &ObjectId) -> Result<(Option<ObjectId>, ObjectId), GitError> {
        let (tree, parent) = match self.last.filter(|last| last.commit == *id) {
            // The commit whose facts were read last: most often, this one.
            Some(last) => (last.tree, last.first_parent),
            None => {
                let bytes = self.commit(id, Size::Bounded)?;
                let commit = parse_commit(bytes).map_err(|reason| GitError::BadCommit { id: id.to_string(), reason })?;
                (commit.tree, commit.parents.first().copied())
            }
        };
        let parent_tree = match parent {
            Some(parent) => {
                // Any size: a parent is read for its tree alone, and may be
                // history the repository had before (a protected tip).
                let bytes = self.commit(&parent, Size::Any)?;
                // Its first line, as git reads a parent's tree for a diff
                // (the parent is judged on its own when the push brings it).
                let (tree, _) =
                    id_header(bytes, b"tree ").ok_or_else(|| GitError::BadCommit { id: parent.to_string(), reason: "no tree line" })?;
                if self.parent.as_ref().is_none_or(|(kept, _)| *kept != parent) {
                    let bytes = std::mem::take(&mut self.buf);
                    self.keep_parent(&parent, &bytes);
                    self.buf = bytes;
                }
                Some(tree)
            }
            None => None,
        };
        Ok((parent_tree, tree))
    }

    /// Every entry that differs between two trees (`None`: the empty tree),
    /// trees among them, in no particular order.
    fn tree_diff(&mut self, old: Option<&ObjectId>, new: &ObjectId) -> Result<Vec<gix_diff::tree::recorder::Change>, GitError> {
        let Reader { store, trees, quarantine_store, diff: buffers, .. } = self;
        let objects = diff_objects(trees, store, quarantine_store.as_ref());
        let context = || format!("cannot diff tree {new}");
        let tree_bytes = |tree: &ObjectId, buf: &mut Vec<u8>| -> Result<(), GitError> {
            use gix_object::Find as _;
            let data = objects.try_find(tree, buf).map_err(history_error(&context))?;
            match data {
                Some(data) if data.kind == gix_object::Kind::Tree => Ok(()),
                _ => Err(GitError::MissingObject { id: tree.to_string() }),
            }
        };
        buffers.old_tree.clear();
        if let Some(old) = old {
            tree_bytes(old, &mut buffers.old_tree)?;
        }
        tree_bytes(new, &mut buffers.new_tree)?;
        let mut recorder = gix_diff::tree::Recorder::default();
        gix_diff::tree(
            gix_object::TreeRefIter::from_bytes(&buffers.old_tree, gix_hash::Kind::Sha1),
            gix_object::TreeRefIter::from_bytes(&buffers.new_tree, gix_hash::Kind::Sha1),
            &mut buffers.state,
            &objects,
            &mut recorder,
        )
        .map_err(history_error(&context))?;
        Ok(recorder.records)
    }

    /// Calls `visit` for each file that differs between two trees (`None`:
    /// the empty tree), in the order `git diff-tree -p --no-renames` shows
    /// them: by path, and a file whose type changed (a file, a link, a
    /// submodule) as its deletion, then its addition. Each side comes with
    /// what is compared line by line: a file's or link's bytes, a
    /// submodule's `Subproject commit` line; a blob over `max_text` bytes
    /// is compared by id alone, unread.
    pub fn file_diffs(
        &mut self,
        old: Option<&ObjectId>,
        new: &ObjectId,
        max_text: u64,
        visit: &mut dyn FnMut(&FileDiff<'_>) -> Result<(), GitError>,
    ) -> Result<(), GitError> {
        let records = self.tree_diff(old, new)?;
        let mut files: Vec<(&[u8], Option<Side>, Option<Side>)> = Vec::with_capacity(records.len());
        let file = |mode: gix_object::tree::EntryMode, id: &ObjectId| (!mode.is_tree()).then(|| (u32::from(mode.value()), *id));
        for change in &records {
            let (path, old, new) = sides(change);
            let (old, new) = (old.and_then(|(mode, id)| file(mode, id)), new.and_then(|(mode, id)| file(mode, id)));
            let path: &[u8] = path.as_ref();
            match (old, new) {
                (None, None) => {}
                // git splits a change of type into a deletion and an addition.
                (Some(before), Some(after)) if before.0 & MODE_TYPE != after.0 & MODE_TYPE => {
                    files.push((path, Some(before), None));
                    files.push((path, None, Some(after)));
                }
                (old, new) => files.push((path, old, new)),
            }
        }
        // Stable: a split type change keeps its deletion first.
        files.sort_by(|a, b| a.0.cmp(b.0));
        let Reader { store, trees, quarantine_store, diff: buffers, .. } = self;
        let objects = diff_objects(trees, store, quarantine_store.as_ref());
        let context = || format!("cannot diff tree {new}");
        let text = |side: Option<Side>, buf: &mut Vec<u8>| -> Result<bool, GitError> {
            buf.clear();
            let Some((mode, id)) = side else { return Ok(true) };
            if mode & MODE_TYPE == MODE_GITLINK {
                buf.extend_from_slice(format!("Subproject commit {id}\n").as_bytes());
                return Ok(true);
            }
            if objects.blob_size(&id, context)? > max_text {
                return Ok(false);
            }
            objects.blob(&id, buf, context)?;
            Ok(true)
        };
        for (path, old, new) in files {
            let old_text = text(old, &mut buffers.old_blob)?;
            let new_text = text(new, &mut buffers.new_blob)?;
            let old = old.map(|(mode, id)| FileSide { mode, id, text: old_text.then_some(buffers.old_blob.as_slice()) });
            let new = new.map(|(mode, id)| FileSide { mode, id, text: new_text.then_some(buffers.new_blob.as_slice()) });
            visit(&FileDiff { path, old, new })?;
        }
        Ok(())
    }
}

/// A chunk of commits handed to the work of a walk (see [`History::drain`]):
/// their facts, read one at a time, and the reader their changes are read
/// through.
pub struct Chunk<'a> {
    reader: &'a mut Reader,
    items: &'a [Read],
    notes: &'a [(String, ObjectId)],
    next: usize,
}

impl Chunk<'_> {
    /// The next commit's facts; `None` after the last.
    pub fn next_facts(&mut self) -> Option<Result<CommitFacts, GitError>> {
        let (id, bytes) = self.items.get(self.next)?;
        self.next += 1;
        // The next commit is most often this one's parent, whose tree its
        // change is read against: when the walk read it already, it need
        // not be inflated again.
        if let Some((next, Some(next_bytes))) = self.items.get(self.next) {
            self.reader.keep_parent(next, next_bytes);
        }
        Some(self.reader.facts_read(id, bytes.as_deref(), self.notes))
    }

    /// How many commits are left to read.
    pub fn remaining(&self) -> usize {
        self.items.len().saturating_sub(self.next)
    }

    /// The reader to read the commits' changes through.
    pub fn reader(&mut self) -> &mut Reader {
        self.reader
    }

    /// Back before the first commit, to read them all again.
    pub fn rewind(&mut self) {
        self.next = 0;
    }
}

/// The path of a recorded change and its sides: mode and id before
/// (`None`: added) and after (`None`: deleted).
type Sides<'c> = (
    &'c gix_object::bstr::BString,
    Option<(gix_object::tree::EntryMode, &'c ObjectId)>,
    Option<(gix_object::tree::EntryMode, &'c ObjectId)>,
);

fn sides(change: &gix_diff::tree::recorder::Change) -> Sides<'_> {
    use gix_diff::tree::recorder::Change;
    match change {
        Change::Addition { entry_mode, oid, path, .. } => (path, None, Some((*entry_mode, oid))),
        Change::Deletion { entry_mode, oid, path, .. } => (path, Some((*entry_mode, oid)), None),
        Change::Modification { previous_entry_mode, previous_oid, entry_mode, oid, path } => {
            (path, Some((*previous_entry_mode, previous_oid)), Some((*entry_mode, oid)))
        }
    }
}

/// A file's mode and id, on one side of a change.
type Side = (u32, ObjectId);

/// The type bits of a mode (`S_IFMT`), and a submodule's.
const MODE_TYPE: u32 = 0o170_000;
const MODE_GITLINK: u32 = 0o160_000;

/// One side of a file's change, as the change id reads it.
pub struct FileSide<'a> {
    /// The mode as the tree records it.
    pub mode: u32,
    pub id: ObjectId,
    /// What is compared line by line; `None` for a blob too large to read.
    pub text: Option<&'a [u8]>,
}

/// A file that differs between two trees (see [`Reader::file_diffs`]).
pub struct FileDiff<'a> {
    pub path: &'a [u8],
    /// `None`: the file is added.
    pub old: Option<FileSide<'a>>,
    /// `None`: the file is deleted.
    pub new: Option<FileSide<'a>>,
}

impl Objects<'_> {
    /// Reads blob `id` into `buf`.
    fn blob(&self, id: &ObjectId, buf: &mut Vec<u8>, context: impl Fn() -> String) -> Result<(), GitError> {
        use gix_object::Find as _;
        match self.try_find(id, buf).map_err(history_error(&context))? {
            Some(data) if data.kind == gix_object::Kind::Blob => Ok(()),
            _ => Err(GitError::MissingObject { id: id.to_string() }),
        }
    }

    /// The size of blob `id`, read from its header.
    fn blob_size(&self, id: &ObjectId, context: impl Fn() -> String) -> Result<u64, GitError> {
        use gix_object::FindHeader as _;
        let header = match self.quarantine.filter(|quarantine| gix_object::Exists::exists(*quarantine, id)) {
            Some(quarantine) => quarantine.try_header(id),
            None => self.objects.try_header(id),
        };
        match header.map_err(history_error(&context))? {
            Some(header) if header.kind == gix_object::Kind::Blob => Ok(header.size),
            _ => Err(GitError::MissingObject { id: id.to_string() }),
        }
    }
}

// ---------------------------------------------------------------- parsing

/// A name and address as a commit header records them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Signature<'a> {
    name: &'a [u8],
    email: &'a [u8],
    time: i64,
}

/// The parts of a raw commit the gate reads.
#[derive(Debug, PartialEq, Eq)]
struct RawCommit<'a> {
    tree: ObjectId,
    parents: Vec<ObjectId>,
    author: Signature<'a>,
    committer: Signature<'a>,
    encoding: Option<&'a [u8]>,
    message: &'a [u8],
}

/// Up to the first NUL: what a C string holds (libgit2 hands names,
/// addresses, the encoding and the message over as C strings, and git
/// itself shows a message only up to a NUL).
fn c_string(bytes: &[u8]) -> &[u8] {
    memchr::memchr(0, bytes).map_or(bytes, |nul| &bytes[..nul])
}

/// `header` followed by a hex id and a newline, at the start of `rest`.
fn id_header<'a>(rest: &'a [u8], header: &[u8]) -> Option<(ObjectId, &'a [u8])> {
    let after = rest.strip_prefix(header)?;
    let (hex, after) = (after.get(..40)?, after.get(40..)?);
    let after = after.strip_prefix(b"\n")?;
    Some((ObjectId::from_hex(hex).ok()?, after))
}

/// Trims what libgit2 trims around names and addresses.
fn trim_crud(mut bytes: &[u8]) -> &[u8] {
    let crud = |b: &u8| *b <= 32 || b",:;<>\"\\'".contains(b);
    while let [first, rest @ ..] = bytes
        && crud(first)
    {
        bytes = rest;
    }
    while let [rest @ .., last] = bytes
        && crud(last)
    {
        bytes = rest;
    }
    bytes
}

/// A `header` line holding a signature, as libgit2 reads it: the address
/// is between the last `<` and the last `>` of the line.
fn signature_line<'a>(rest: &'a [u8], header: &[u8]) -> Result<(Signature<'a>, &'a [u8]), &'static str> {
    let newline = rest.iter().position(|&b| b == b'\n').ok_or("a header line without a newline")?;
    let line = &rest[..newline];
    if line.len() <= header.len() || !line.starts_with(header) {
        return Err(if header == b"author " { "no author line" } else { "no committer line" });
    }
    let body = &line[header.len()..];
    let (Some(open), Some(close)) = (body.iter().rposition(|&b| b == b'<'), body.iter().rposition(|&b| b == b'>')) else {
        return Err("a malformed e-mail address");
    };
    if close <= open {
        return Err("a malformed e-mail address");
    }
    // The date orders the walk only: a malformed one counts as 0.
    let time = body
        .get(close + 1..)
        .and_then(|after| std::str::from_utf8(after).ok())
        .and_then(|after| after.split_ascii_whitespace().next())
        .and_then(|seconds| seconds.parse().ok())
        .unwrap_or(0);
    let signature = Signature { name: c_string(trim_crud(&body[..open])), email: c_string(trim_crud(&body[open + 1..close])), time };
    Ok((signature, &rest[newline + 1..]))
}

/// Why a commit's headers could be read two ways, by git's own rules for
/// identities (`git fsck`: one `<`, one `>`, then a date and a zone) and
/// for headers the gate reads (one author, one committer, one encoding, no
/// NUL). `None` when they are well formed.
///
/// The gate reads an identity as libgit2 does (the last `<…>`), git shows
/// the first; with two `author` lines each tool may take another. Such
/// objects are accepted by a server without `receive.fsckObjects`.
fn header_problem(data: &[u8]) -> Option<&'static str> {
    let (mut authors, mut committers, mut encodings) = (0, 0, 0);
    // The headers end at the first empty line.
    for line in data.split(|&b| b == b'\n').take_while(|line| !line.is_empty()) {
        if line.contains(&0) {
            return Some("a NUL byte in its headers");
        }
        if let Some(ident) = line.strip_prefix(b"author ") {
            authors += 1;
            if !well_formed_ident(ident) {
                return Some("a malformed author line");
            }
        } else if let Some(ident) = line.strip_prefix(b"committer ") {
            committers += 1;
            if !well_formed_ident(ident) {
                return Some("a malformed committer line");
            }
        } else if line.starts_with(b"encoding ") {
            encodings += 1;
        }
    }
    match (authors, committers, encodings) {
        (1, 1, 0 | 1) => None,
        (1, 1, _) => Some("more than one encoding header"),
        (1, _, _) => Some("more than one committer line"),
        _ => Some("more than one author line"),
    }
}

/// git fsck's `fsck_ident`: `Name <email> <seconds> <+|-><hhmm>`, where
/// the name is not empty and holds no `<` or `>`, a space comes before the
/// `<`, the address holds no `<`, and the date is not zero-padded.
fn well_formed_ident(ident: &[u8]) -> bool {
    let stop = |b: &u8| matches!(b, b'<' | b'>' | b'\n');
    let Some(lt) = ident.iter().position(stop) else { return false };
    if lt == 0 || ident[lt] != b'<' || ident[lt - 1] != b' ' {
        return false;
    }
    let rest = &ident[lt + 1..];
    let Some(gt) = rest.iter().position(stop) else { return false };
    if rest[gt] != b'>' {
        return false;
    }
    let Some(date) = rest[gt + 1..].strip_prefix(b" ") else { return false };
    let digits = date.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || (date[0] == b'0' && digits > 1) {
        return false;
    }
    match &date[digits..] {
        [b' ', sign, zone @ ..] => matches!(sign, b'+' | b'-') && zone.len() == 4 && zone.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Splits a raw commit into what was signed and its signature header
/// (`header`, e.g. `gpgsig`), as git's `parse_buffer_signed_by_header`
/// does: the header and its continuation lines leave the payload, and so
/// does a signature for the other hash algorithm; the message stays.
fn signed_payload(data: &[u8], header: &[u8]) -> Option<CommitSignature> {
    let (mut payload, mut signature) = (Vec::with_capacity(data.len()), Vec::new());
    let (mut in_signature, mut other_signature, mut seen) = (false, false, false);
    let mut at = 0;
    while at < data.len() {
        let next = data[at..].iter().position(|&b| b == b'\n').map_or(data.len(), |p| at + p + 1);
        let line = &data[at..next];
        if line[0] == b'\n' {
            payload.extend_from_slice(&data[at..]);
            break;
        }
        let mut part = None;
        if in_signature && line[0] == b' ' {
            part = Some(&line[1..]);
        } else if line.starts_with(header) && line.get(header.len()) == Some(&b' ') {
            part = Some(&line[header.len() + 1..]);
            other_signature = false;
        } else if line.starts_with(b"gpgsig") {
            other_signature = true;
        } else if other_signature && line[0] != b' ' {
            other_signature = false;
        }
        match part {
            Some(text) => {
                signature.extend_from_slice(text);
                seen = true;
                in_signature = true;
            }
            None => {
                if !other_signature {
                    payload.extend_from_slice(line);
                }
                in_signature = false;
            }
        }
        at = next;
    }
    let armored = String::from_utf8(signature).ok()?;
    seen.then_some(CommitSignature { payload, armored })
}

/// Parses a raw commit the way libgit2 does, so that the gate reads the
/// same names and message it always has: a tree line, parent lines, the
/// (first) author, the committer, other headers (of which only `encoding`
/// matters), a blank line, then the message.
fn parse_commit(data: &[u8]) -> Result<RawCommit<'_>, &'static str> {
    let (head, mut rest) = parse_head(data)?;
    let mut encoding = None;
    while !rest.is_empty() && rest[0] != b'\n' {
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        if let Some(label) = rest[..end].strip_prefix(b"encoding ") {
            // git reads the first `encoding` header.
            encoding = encoding.or(Some(c_string(label)));
        }
        rest = rest.get(end + 1..).unwrap_or_default();
    }
    let message = c_string(rest.get(1..).unwrap_or_default());
    let Head { tree, parents, author, committer } = head;
    Ok(RawCommit { tree, parents, author, committer, encoding, message })
}

/// A commit's lines up to its committer: what a walk needs.
struct Head<'a> {
    tree: ObjectId,
    parents: Vec<ObjectId>,
    author: Signature<'a>,
    committer: Signature<'a>,
}

/// The start of [`parse_commit`], and the rest after the committer line.
fn parse_head(data: &[u8]) -> Result<(Head<'_>, &[u8]), &'static str> {
    let (tree, mut rest) = id_header(data, b"tree ").ok_or("no tree line")?;
    let mut parents = Vec::new();
    while let Some((parent, after)) = id_header(rest, b"parent ") {
        parents.push(parent);
        rest = after;
    }
    let (author, after) = signature_line(rest, b"author ")?;
    rest = after;
    // Some tools write several author lines; the first one counts.
    while rest.starts_with(b"author ") {
        rest = signature_line(rest, b"author ")?.1;
    }
    let (committer, after) = signature_line(rest, b"committer ")?;
    Ok((Head { tree, parents, author, committer }, after))
}

// ---------------------------------------------------------------- walking

/// The order a walk yields commits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `git rev-list`'s default: newest commit date first among the commits
    /// whose children have all been shown (ties in the order they were met).
    Date,
    /// Never a parent before one of its children (newest date first among
    /// the commits that are ready); the walk is worked out before the first
    /// commit is yielded.
    Topological,
}

const VISIBLE: u8 = 1;
const HIDDEN: u8 = 2;
const QUEUED: u8 = 4;
const SEEN: u8 = 8;
const LOADED: u8 = 16;

/// A commit met by the walk.
struct Node {
    id: ObjectId,
    /// Committer date, seconds.
    time: i64,
    /// Generation number from the commit-graph; 0 when the commit is not in it.
    generation: u32,
    /// `parents[start..start + count]` in [`Nodes::parents`].
    parents: (u32, u32),
    flags: u8,
}

/// The commits a walk has met, by index.
struct Nodes<'h> {
    history: &'h History,
    reader: Reader,
    nodes: Vec<Node>,
    index: HashMap<ObjectId, u32>,
    parents: Vec<u32>,
    stop: Stop,
    /// The raw commits read to learn their parents, kept until the walk
    /// yields them, when the walk hands them on: a commit outside the
    /// commit-graph is then inflated once, not twice.
    kept: Option<Kept>,
}

/// Raw commits by node, at most [`KEPT_BYTES`] of them: past that, commits
/// are read again when yielded.
#[derive(Default)]
struct Kept {
    commits: Vec<Option<Vec<u8>>>,
    bytes: usize,
}

impl Kept {
    fn keep(&mut self, n: u32, commit: &[u8]) {
        if self.bytes + commit.len() > KEPT_BYTES {
            return;
        }
        if self.commits.len() <= index(n) {
            self.commits.resize(index(n) + 1, None);
        }
        self.bytes += commit.len();
        self.commits[index(n)] = Some(commit.to_vec());
    }

    fn take(&mut self, n: u32) -> Option<Vec<u8>> {
        let commit = self.commits.get_mut(index(n))?.take()?;
        self.bytes -= commit.len();
        Some(commit)
    }
}

/// The most commit text a walk keeps between learning a commit's parents
/// and yielding it. A topological walk without a commit-graph reads its
/// whole range before it yields the first commit; what does not fit is
/// read a second time (`git commit-graph write` spares both).
const KEPT_BYTES: usize = 96 << 20;

fn index(n: u32) -> usize {
    n as usize
}

impl Nodes<'_> {
    fn intern(&mut self, id: ObjectId) -> u32 {
        if let Some(&n) = self.index.get(&id) {
            return n;
        }
        let n = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes.push(Node { id, time: 0, generation: 0, parents: (0, 0), flags: 0 });
        self.index.insert(id, n);
        n
    }

    fn parents_of(&self, n: u32) -> std::ops::Range<usize> {
        let (start, count) = self.nodes[index(n)].parents;
        index(start)..index(start + count)
    }

    /// Learns the parents and date of `n`: from the commit-graph when the
    /// commit is in it, else from the commit itself. `flags`: the paint it
    /// is about to take, beside what it has.
    fn load(&mut self, n: u32, flags: u8) -> Result<(), GitError> {
        if self.nodes[index(n)].flags & LOADED != 0 {
            return Ok(());
        }
        let id = self.nodes[index(n)].id;
        let mut parents: Vec<ObjectId> = Vec::new();
        let (time, generation);
        let history = self.history;
        let in_graph = history.graph.as_ref().and_then(|graph| Some((graph, graph.lookup(id)?)));
        if let Some((graph, position)) = in_graph {
            let commit = graph.commit_at(position);
            time = i64::try_from(commit.committer_timestamp()).unwrap_or(i64::MAX);
            generation = commit.generation().max(1);
            for parent in commit.iter_parents() {
                let parent = parent.map_err(history_error(|| format!("the commit-graph entry of {id} is damaged")))?;
                parents.push(graph.id_at(parent).to_owned());
            }
        } else {
            // A commit known to be hidden (the repository's own history) is
            // read whatever its size; one that may be judged, within bounds.
            let size = if (self.nodes[index(n)].flags | flags) & HIDDEN != 0 { Size::Any } else { Size::Bounded };
            let bytes = self.reader.commit(&id, size)?;
            // The rest is read where the commit is judged.
            let (commit, _) = parse_head(bytes).map_err(|reason| GitError::BadCommit { id: id.to_string(), reason })?;
            time = commit.committer.time;
            generation = 0;
            parents = commit.parents;
            if let Some(kept) = self.kept.as_mut() {
                kept.keep(n, bytes);
            }
        }
        if history.shallow.contains(&id) {
            parents.clear();
        }
        let start = u32::try_from(self.parents.len()).unwrap_or(u32::MAX);
        for parent in &parents {
            let p = self.intern(*parent);
            self.parents.push(p);
        }
        let node = &mut self.nodes[index(n)];
        node.time = time;
        node.generation = generation;
        node.parents = (start, u32::try_from(parents.len()).unwrap_or(0));
        node.flags |= LOADED;
        Ok(())
    }

    /// Paints every commit reachable from `tips` VISIBLE and every commit
    /// reachable from `hidden` HIDDEN, until the commits that are only
    /// VISIBLE (the walk's answer) are known exactly.
    ///
    /// Commits are taken highest generation number first, so a commit's
    /// children are all taken before it and its paint is final when it is
    /// taken; the painting stops once no only-VISIBLE commit waits. Commits
    /// not in the commit-graph (pushed ones, recent ones) count as highest
    /// and are ordered by date among themselves, which is not exact under
    /// clock skew; so while any of them waits, painting goes on, and a
    /// commit whose paint grows is taken again. With a commit-graph the
    /// answer is therefore exact; without one (a repository git never wrote
    /// one for), the stop rule is git's own date heuristic.
    fn paint(&mut self, tips: &[u32], hidden: &[u32]) -> Result<(), GitError> {
        let mut paint = Paint::new(self.history.graph.is_some());
        for &tip in tips {
            self.mark(&mut paint, tip, VISIBLE)?;
        }
        for &tip in hidden {
            self.mark(&mut paint, tip, HIDDEN)?;
        }
        while self.take(&mut paint)?.is_some() {}
        Ok(())
    }

    /// One step of [`Nodes::paint`]: takes the next commit and paints its
    /// parents with its paint; the commit and its paint when taken, `None`
    /// once the only-VISIBLE commits are known (nothing is left waiting).
    fn take(&mut self, paint: &mut Paint) -> Result<Option<(u32, u8)>, GitError> {
        paint.taken = paint.taken.wrapping_add(1);
        if paint.taken % 1024 == 0 && self.stop.now() {
            paint.heap.clear();
            return Err(GitError::Stopped);
        }
        // Without generation numbers, git's own rule (`limit_list`): go on
        // while a waiting commit is as new as the oldest only-VISIBLE one
        // taken, then SLOP more.
        let must = paint.visible_only > 0 || (paint.exact && paint.outside_graph > 0);
        if !must {
            let newest_waiting = paint.heap.peek().map(|&(_, time, _, _)| time);
            let done = if paint.exact || newest_waiting.is_none() {
                true
            } else if newest_waiting < Some(paint.oldest_visible) {
                let last = paint.slop == 0;
                paint.slop = paint.slop.saturating_sub(1);
                last
            } else {
                paint.slop = SLOP;
                false
            };
            if done {
                paint.heap.clear();
                return Ok(None);
            }
        }
        let Some((_, _, _, n)) = paint.heap.pop() else { return Ok(None) };
        let node = &mut self.nodes[index(n)];
        node.flags &= !QUEUED;
        let flags = node.flags & (VISIBLE | HIDDEN);
        if flags == VISIBLE {
            paint.visible_only -= 1;
            paint.oldest_visible = paint.oldest_visible.min(node.time);
        }
        if node.generation == 0 {
            paint.outside_graph -= 1;
        }
        for p in self.parents_of(n) {
            let parent = self.parents[p];
            self.mark(paint, parent, flags)?;
        }
        Ok(Some((n, flags)))
    }

    /// Adds `flags` to `n`, queueing it when its paint grew.
    fn mark(&mut self, paint: &mut Paint, n: u32, flags: u8) -> Result<(), GitError> {
        let old = self.nodes[index(n)].flags;
        if old | flags == old {
            return Ok(());
        }
        self.load(n, flags)?;
        let node = &mut self.nodes[index(n)];
        let new = node.flags | flags;
        let only_visible = |flags: u8| flags & (VISIBLE | HIDDEN) == VISIBLE;
        if new & QUEUED != 0 {
            if only_visible(node.flags) && !only_visible(new) {
                paint.visible_only -= 1;
            }
            node.flags = new;
            return Ok(());
        }
        node.flags = new | QUEUED;
        if only_visible(new) {
            paint.visible_only += 1;
        }
        if node.generation == 0 {
            paint.outside_graph += 1;
        }
        let generation = if node.generation == 0 { u32::MAX } else { node.generation };
        paint.heap.push((generation, node.time, Reverse(paint.seq), n));
        paint.seq += 1;
        Ok(())
    }

    /// The only-VISIBLE commits, children before parents (Kahn's algorithm;
    /// among the ready ones newest date first, ties in the order met).
    fn topological(&self) -> Vec<u32> {
        let wanted = |flags: u8| flags & (VISIBLE | HIDDEN) == VISIBLE;
        let mut children = vec![0u32; self.nodes.len()];
        for node in self.nodes.iter().filter(|node| wanted(node.flags)) {
            let (start, count) = node.parents;
            for &parent in &self.parents[index(start)..index(start + count)] {
                children[index(parent)] += 1;
            }
        }
        let mut ready = BinaryHeap::new();
        let mut seq = 0u64;
        for (n, node) in self.nodes.iter().enumerate() {
            if wanted(node.flags) && children[n] == 0 {
                ready.push((node.time, Reverse(seq), n));
                seq += 1;
            }
        }
        let mut out = Vec::new();
        while let Some((_, _, n)) = ready.pop() {
            let node = &self.nodes[n];
            out.push(u32::try_from(n).unwrap_or(u32::MAX));
            let (start, count) = node.parents;
            for &parent in &self.parents[index(start)..index(start + count)] {
                let p = index(parent);
                if !wanted(self.nodes[p].flags) {
                    continue;
                }
                children[p] -= 1;
                if children[p] == 0 {
                    ready.push((self.nodes[p].time, Reverse(seq), p));
                    seq += 1;
                }
            }
        }
        out
    }
}

/// The state of [`Nodes::paint`].
struct Paint {
    /// Highest generation (commits outside the graph highest), then newest.
    heap: BinaryHeap<(u32, i64, Reverse<u64>, u32)>,
    seq: u64,
    /// Queued commits painted VISIBLE but not HIDDEN.
    visible_only: usize,
    /// Queued commits that are not in the commit-graph.
    outside_graph: usize,
    /// There is a commit-graph: the answer is exact (see [`Nodes::paint`]).
    exact: bool,
    /// Without one, git's rule: the oldest only-VISIBLE commit taken, and
    /// how many older ones may still be taken.
    oldest_visible: i64,
    slop: usize,
    /// Commits taken so far.
    taken: u32,
}

/// How many commits older than every only-VISIBLE one a paint without a
/// commit-graph still takes (git's `SLOP`).
const SLOP: usize = 5;

impl Paint {
    fn new(exact: bool) -> Paint {
        Paint { heap: BinaryHeap::new(), seq: 0, visible_only: 0, outside_graph: 0, exact, oldest_visible: i64::MAX, slop: SLOP, taken: 0 }
    }
}

/// A walk in date order, yielded as it goes.
struct Dated {
    heap: BinaryHeap<(i64, Reverse<u64>, u32)>,
    seq: u64,
    /// Hidden commits were painted: only only-VISIBLE ones are walked.
    limited: bool,
}

impl Dated {
    fn admits(&self, nodes: &Nodes<'_>, n: u32) -> bool {
        let flags = nodes.nodes[index(n)].flags;
        flags & SEEN == 0 && (!self.limited || flags & (VISIBLE | HIDDEN) == VISIBLE)
    }

    fn push(&mut self, nodes: &mut Nodes<'_>, n: u32) -> Result<(), GitError> {
        nodes.load(n, 0)?;
        let node = &mut nodes.nodes[index(n)];
        node.flags |= SEEN;
        self.heap.push((node.time, Reverse(self.seq), n));
        self.seq += 1;
        Ok(())
    }

    fn next(&mut self, nodes: &mut Nodes<'_>) -> Option<Result<Read, GitError>> {
        let (_, _, n) = self.heap.pop()?;
        let bytes = nodes.kept.as_mut().and_then(|kept| kept.take(n));
        for p in nodes.parents_of(n) {
            let parent = nodes.parents[p];
            if self.admits(nodes, parent)
                && let Err(error) = self.push(nodes, parent)
            {
                self.heap.clear();
                return Some(Err(error));
            }
        }
        Some(Ok((nodes.nodes[index(n)].id, bytes)))
    }
}

/// A walk worked out in advance: the ids in order, and the raw commits
/// kept for them (by position; none at all when the commit-graph had
/// every commit, so a long list costs an id per commit).
#[derive(Default)]
struct Listed {
    ids: std::vec::IntoIter<ObjectId>,
    bytes: std::vec::IntoIter<Option<Vec<u8>>>,
}

impl Listed {
    fn of(nodes: &Nodes<'_>, order: Vec<u32>, mut kept: Kept) -> Listed {
        let bytes: Vec<Option<Vec<u8>>> =
            if kept.commits.iter().any(Option::is_some) { order.iter().map(|&n| kept.take(n)).collect() } else { Vec::new() };
        let ids: Vec<ObjectId> = order.into_iter().map(|n| nodes.nodes[index(n)].id).collect();
        Listed { ids: ids.into_iter(), bytes: bytes.into_iter() }
    }

    fn next(&mut self) -> Option<Read> {
        Some((self.ids.next()?, self.bytes.next().flatten()))
    }
}

enum Mode {
    Listed(Listed),
    Dated(Dated),
    Painting(Painting),
}

/// A topological walk without a commit-graph, or limited by hidden
/// commits, read as it is painted: the commits outside the graph newest
/// date first, so a parent can come before one of its children under clock
/// skew; [`Walk::painted_order`] gives their topological order once all are
/// read, and [`Walk::list_the_graphs_part`] the rest.
struct Painting {
    paint: Paint,
    /// The commits in the order they were yielded.
    read: Vec<u32>,
    /// Once [`Walk::painted_order`] has sorted the walk: its commits inside
    /// the commit-graph, in topological order (the one sort serves both).
    graphs_part: Option<Vec<u32>>,
}

impl Painting {
    /// The next only-VISIBLE commit taken outside the commit-graph (it may
    /// be found hidden later: [`Walk::painted_order`] leaves it out). One
    /// inside the graph is not yielded: its paint is final when taken, and
    /// it waits for [`Walk::list_the_graphs_part`], so that a long history
    /// in the graph is handed on in order, not held.
    fn next(&mut self, nodes: &mut Nodes<'_>) -> Option<Result<(u32, Read), GitError>> {
        loop {
            let (n, flags) = match nodes.take(&mut self.paint) {
                Ok(taken) => taken?,
                Err(error) => {
                    self.paint.heap.clear();
                    return Some(Err(error));
                }
            };
            // A hidden commit's text is not needed: let it go.
            let bytes = nodes.kept.as_mut().and_then(|kept| kept.take(n));
            if flags == VISIBLE && nodes.nodes[index(n)].generation == 0 {
                self.read.push(n);
                return Some(Ok((n, (nodes.nodes[index(n)].id, bytes))));
            }
        }
    }
}

/// The commits of a walk, as [`History::walk`] set it up.
pub struct Walk<'h> {
    nodes: Nodes<'h>,
    mode: Mode,
    /// Notes trees (and their refs) whose notes each commit gets.
    notes: Vec<(String, ObjectId)>,
    /// A painting walk yields commits as it reads them, for
    /// [`History::drain`] to judge before it knows their order.
    judge_unordered: bool,
}

impl Walk<'_> {
    /// Gives each commit its notes from these notes trees (the tree of a
    /// notes ref's commit, with the ref's name).
    pub fn with_notes(mut self, notes: Vec<(String, ObjectId)>) -> Self {
        self.notes = notes;
        self
    }
}

impl Walk<'_> {
    /// The next commit, with its raw bytes when the walk read them anyway.
    fn next_read(&mut self) -> Option<Result<Read, GitError>> {
        if let Mode::Painting(painting) = &mut self.mode {
            if self.judge_unordered {
                return painting.next(&mut self.nodes).map(|item| item.map(|(_, read)| read));
            }
            // Read it all, then yield it in order.
            let mut read = Kept::default();
            while let Some(item) = painting.next(&mut self.nodes) {
                match item {
                    Ok((n, (_, Some(bytes)))) => read.keep(n, &bytes),
                    Ok(_) => {}
                    Err(error) => {
                        self.mode = Mode::Listed(Listed::default());
                        return Some(Err(error));
                    }
                }
            }
            self.mode = Mode::Listed(Listed::of(&self.nodes, self.nodes.topological(), read));
        }
        match &mut self.mode {
            Mode::Listed(listed) => listed.next().map(Ok),
            Mode::Dated(dated) => dated.next(&mut self.nodes),
            Mode::Painting(_) => None,
        }
    }

    /// For a painted walk read to its end: lists its only-VISIBLE commits
    /// inside the commit-graph, in topological order, as the rest of the
    /// walk. Each has all its ancestors in the graph, so none has a parent
    /// among the commits yielded while painting: children before parents
    /// holds with all of those first. Whether there are any.
    fn list_the_graphs_part(&mut self) -> bool {
        let Mode::Painting(painting) = &mut self.mode else { return false };
        let order = match painting.graphs_part.take() {
            Some(order) => order,
            None => {
                let nodes = &self.nodes;
                nodes.topological().into_iter().filter(|&n| nodes.nodes[index(n)].generation != 0).collect()
            }
        };
        let nodes = &self.nodes;
        let any = !order.is_empty();
        self.mode = Mode::Listed(Listed::of(nodes, order, Kept::default()));
        any
    }

    /// For a painted walk read to its end: the positions (in the order
    /// commits were yielded) of its commits in topological order. Keeps
    /// the rest of that order, the commits inside the graph, for
    /// [`Walk::list_the_graphs_part`].
    fn painted_order(&mut self) -> Vec<usize> {
        let Mode::Painting(painting) = &mut self.mode else { return Vec::new() };
        let mut position = vec![usize::MAX; self.nodes.nodes.len()];
        for (i, &n) in painting.read.iter().enumerate() {
            position[index(n)] = i;
        }
        let (inside, outside): (Vec<u32>, Vec<u32>) =
            self.nodes.topological().into_iter().partition(|&n| self.nodes.nodes[index(n)].generation != 0);
        painting.graphs_part = Some(inside);
        outside.into_iter().map(|n| position[index(n)]).filter(|&p| p != usize::MAX).collect()
    }
}

impl Iterator for Walk<'_> {
    type Item = Result<ObjectId, GitError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_read().map(|item| item.map(|(id, _)| id))
    }
}

/// The id of no object (forty zeros), as patches name a missing side.
pub fn null_id() -> ObjectId {
    ObjectId::null(gix_hash::Kind::Sha1)
}

/// Converts git2's id bytes.
pub fn object_id(bytes: &[u8]) -> Option<ObjectId> {
    gix_hash::oid::try_from_bytes(bytes).ok().map(ToOwned::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n";
    const PARENT: &str = "parent 5e1c309dae7f45e0f39b1bf3ac3cd9db12e7d689\n";

    #[test]
    fn parses_a_commit_as_libgit2_does() {
        let raw = format!(
            "{TREE}{PARENT}{PARENT}author  A. Person, <a@example.com>  1700000000 +0100\nauthor Second <b@example.com> 1 +0000\ncommitter C <c@example.com> 1700000001 -0200\nencoding ISO-8859-1\ngpgsig -----BEGIN-----\n encoding UTF-7\n -----END-----\n\nSubject\n\nBody\0hidden"
        );
        let commit = parse_commit(raw.as_bytes()).expect("parses");
        assert_eq!(commit.parents.len(), 2);
        assert_eq!(commit.author.name, b"A. Person");
        assert_eq!(commit.author.email, b"a@example.com");
        assert_eq!(commit.committer.time, 1_700_000_001);
        assert_eq!(commit.encoding, Some(&b"ISO-8859-1"[..]));
        assert_eq!(commit.message, b"Subject\n\nBody");
    }

    #[test]
    fn the_address_is_between_the_last_angle_brackets() {
        let raw = format!("{TREE}author Eve <eve@example.com> <noreply@anthropic.com> 1 +0000\ncommitter C <c@x> 1 +0000\n\nm");
        let commit = parse_commit(raw.as_bytes()).expect("parses");
        assert_eq!(commit.author.name, b"Eve <eve@example.com");
        assert_eq!(commit.author.email, b"noreply@anthropic.com");
    }

    #[test]
    fn finds_headers_git_and_the_gate_could_read_differently() {
        let fine = format!("{TREE}author A <a@x> 1700000000 +0100\ncommitter C <c@x> 0 -0200\nencoding ISO-8859-1\n\nm\nauthor x\n");
        assert_eq!(header_problem(fine.as_bytes()), None);
        let signed = format!(
            "{TREE}author A <a@x> 1 +0000\ncommitter C <c@x> 1 +0000\ngpgsig -----BEGIN-----\n author B <b@x> 1 +0000\n -----END-----\n\nm"
        );
        assert_eq!(header_problem(signed.as_bytes()), None);
        for (raw, problem) in [
            (
                format!("{TREE}author Claude <noreply@anthropic.com> <jo@corp.example> 1 +0000\ncommitter C <c@x> 1 +0000\n\nm"),
                "a malformed author line",
            ),
            (format!("{TREE}author A <a@x> 1 +0000\nauthor B <b@x> 1 +0000\ncommitter C <c@x> 1 +0000\n\nm"), "more than one author line"),
            (format!("{TREE}author A <a@x> 1 +0000\ncommitter C <c@x> 1 +0000\nauthor B <b@x> 1 +0000\n\nm"), "more than one author line"),
            (
                format!("{TREE}author A <a@x> 1 +0000\ncommitter C <c@x> 1 +0000\ncommitter D <d@x> 1 +0000\n\nm"),
                "more than one committer line",
            ),
            (
                format!("{TREE}author A <a@x> 1 +0000\ncommitter C <c@x> 1 +0000\nencoding UTF-8\nencoding UTF-7\n\nm"),
                "more than one encoding header",
            ),
            (format!("{TREE}author A <a@x>\0<b@y> 1 +0000\ncommitter C <c@x> 1 +0000\n\nm"), "a NUL byte in its headers"),
            (format!("{TREE}author  A, <a@x>  1 +0000\ncommitter C <c@x> 1 +0000\n\nm"), "a malformed author line"),
            (format!("{TREE}author A <a@x> 01 +0000\ncommitter C <c@x> 1 +0000\n\nm"), "a malformed author line"),
            (format!("{TREE}author <a@x> 1 +0000\ncommitter C <c@x> 1 +0000\n\nm"), "a malformed author line"),
            (format!("{TREE}author A <a@x> 1 +0000\ncommitter C <c>x> 1 +0000\n\nm"), "a malformed committer line"),
            (format!("{TREE}author A <a@x> 1 +00\ncommitter C <c@x> 1 +0000\n\nm"), "a malformed author line"),
        ] {
            assert_eq!(header_problem(raw.as_bytes()), Some(problem), "{raw:?}");
        }
    }

    #[test]
    fn refuses_what_libgit2_refuses() {
        for raw in [
            String::new(),
            "tree 123\n".to_owned(),
            format!("{TREE}committer C <c@x> 1 +0000\n\nm"),
            format!("{TREE}author A a@x 1 +0000\ncommitter C <c@x> 1 +0000\n\nm"),
            format!("{TREE}author A >a@x< 1 +0000\ncommitter C <c@x> 1 +0000\n\nm"),
            format!("{TREE}author A <a@x> 1 +0000\n\nm"),
            format!("{TREE}author A <a@x> 1 +0000"),
        ] {
            assert!(parse_commit(raw.as_bytes()).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn a_commit_without_a_message_has_an_empty_one() {
        let raw = format!("{TREE}author A <a@x> 1 +0000\ncommitter C <c@x> 1 +0000\n");
        assert_eq!(parse_commit(raw.as_bytes()).expect("parses").message, b"");
        let raw = format!("{TREE}author A <a@x> 1 +0000\ncommitter C <c@x> 1 +0000\n\n");
        assert_eq!(parse_commit(raw.as_bytes()).expect("parses").message, b"");
    }
}
