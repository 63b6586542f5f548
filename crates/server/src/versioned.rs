//! Values derived from the whole store (the lineage graph, the search index), kept until the
//! store moves on. When it does, the request that notices builds the new value while requests
//! arriving meanwhile are answered from the previous one: one build per change instead of one
//! per request, and no queue behind it (syncing every 2 s under load had stalled pages for
//! up to 2.5 s). A request alone, as after a refresh, always sees the new value.

use std::future::Future;
use std::sync::{Arc, Mutex};

/// The value built for key `K` (a store version, or one with the hour), and which key is
/// being built now.
#[derive(Debug)]
pub struct Versioned<K, T> {
    slot: Mutex<Slot<K, T>>,
}

#[derive(Debug)]
struct Slot<K, T> {
    current: Option<(K, Arc<T>)>,
    building: Option<K>,
}

impl<K, T> Default for Versioned<K, T> {
    fn default() -> Self {
        Versioned {
            slot: Mutex::new(Slot {
                current: None,
                building: None,
            }),
        }
    }
}

impl<K: Clone + PartialEq, T> Versioned<K, T> {
    /// The value for `key`: kept, else the previous one while another request builds it,
    /// else built by `build` (and kept unless a newer key was kept meanwhile).
    pub async fn get<E, Fut>(&self, key: K, build: impl FnOnce() -> Fut) -> Result<Arc<T>, E>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.kept_or_previous(&key) {
            return Ok(value);
        }
        let building = Building {
            owner: self,
            key: key.clone(),
        };
        let value = Arc::new(build().await?);
        drop(building);
        if let Ok(mut slot) = self.slot.lock() {
            slot.current = Some((key, value.clone()));
        }
        Ok(value)
    }

    /// The kept value when it is for `key`, or the previous one when `key` is being built;
    /// otherwise marks `key` as being built by the caller.
    fn kept_or_previous(&self, key: &K) -> Option<Arc<T>> {
        let mut slot = self.slot.lock().ok()?;
        match &slot.current {
            Some((kept, value)) if kept == key => return Some(value.clone()),
            Some((_, value)) if slot.building.as_ref() == Some(key) => return Some(value.clone()),
            _ => {}
        }
        slot.building = Some(key.clone());
        None
    }
}

/// Clears the mark when the build ends, however it ends (a client gone mid-build included).
struct Building<'a, K: PartialEq, T> {
    owner: &'a Versioned<K, T>,
    key: K,
}

impl<K: PartialEq, T> Drop for Building<'_, K, T> {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.owner.slot.lock() {
            if slot.building.as_ref() == Some(&self.key) {
                slot.building = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_build_per_key_and_the_previous_value_meanwhile() {
        let cache: Arc<Versioned<i64, String>> = Arc::default();
        let builds = Arc::new(AtomicUsize::new(0));
        let first = cache
            .get(1, || async { Ok::<_, ()>("v1".to_string()) })
            .await
            .unwrap();
        assert_eq!(*first, "v1");
        // A build of version 2 that waits, and requests arriving while it does.
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let slow = {
            let (cache, builds) = (cache.clone(), builds.clone());
            tokio::spawn(async move {
                cache
                    .get(2, || async move {
                        builds.fetch_add(1, Ordering::SeqCst);
                        let _ = wait.await;
                        Ok::<_, ()>("v2".to_string())
                    })
                    .await
            })
        };
        while builds.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let meanwhile = cache
            .get(2, || async { Ok::<_, ()>("a second build".to_string()) })
            .await
            .unwrap();
        assert_eq!(
            *meanwhile, "v1",
            "answered from the previous value, not built again"
        );
        release.send(()).unwrap();
        assert_eq!(*slow.await.unwrap().unwrap(), "v2");
        let after = cache
            .get(2, || async { Ok::<_, ()>("unused".to_string()) })
            .await
            .unwrap();
        assert_eq!(*after, "v2");
    }

    #[tokio::test]
    async fn a_failed_build_leaves_the_next_request_to_build() {
        let cache: Versioned<i64, String> = Versioned::default();
        assert!(cache
            .get(1, || async { Err::<String, _>("down") })
            .await
            .is_err());
        let value = cache
            .get(1, || async { Ok::<_, &str>("up".to_string()) })
            .await
            .unwrap();
        assert_eq!(*value, "up");
    }
}
