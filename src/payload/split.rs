//! A payload file's body (`send`, `validate`) as the requests that carry it: at most
//! [`Api::max_entities`] entities each, and for devinfo at most
//! [`MAX_ENTITIES`] commits, branches and pull requests in all.
//! A devinfo repository with more of them than one request may hold for a repository
//! ([`MAX_PER_TYPE`] of each) is cut into pieces as the
//! `devinfo` command cuts one: each piece the repository with a run of its lists, in a
//! request of its own (a request lists a repository once), and every commit, branch
//! and pull request in exactly one piece. Each entity of a request
//! knows where it is in the file ([`Origin`]), so a problem found in a request points
//! into the file.

use serde_json::{Map, Value};

use super::devinfo::{MAX_ENTITIES, MAX_PER_TYPE};
use crate::api::Api;

/// A repository's lists, which a request holds at most [`MAX_PER_TYPE`] of each.
const LISTS: [&str; 3] = ["commits", "branches", "pullRequests"];

/// One request made of the file, and where each of its entities is in the file.
#[derive(Debug, PartialEq)]
pub struct Request {
    pub body: Value,
    pub origins: Vec<Origin>,
}

/// Where an entity of a request is in the file: its index, and for a piece of a cut
/// devinfo repository, where its runs of commits, branches and pull requests start in
/// the repository's lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub index: usize,
    starts: [usize; 3],
}

impl Origin {
    /// A pointer into a request's entities (`/repositories/1/commits/3/id`) as a
    /// pointer into the file (`/repositories/0/commits/403/id`); `None` for a pointer
    /// that is not into an entity.
    pub fn in_file(origins: &[Self], pointer: &str, key: &str) -> Option<String> {
        let rest = pointer.strip_prefix('/')?.strip_prefix(key)?.strip_prefix('/')?;
        let (index, tail) = split_index(rest)?;
        let origin = origins.get(index)?;
        let Some(tail) = tail else {
            return Some(format!("/{key}/{}", origin.index));
        };
        let tail = LISTS
            .iter()
            .zip(origin.starts)
            .find_map(|(list, start)| {
                let (i, rest) = split_index(tail.strip_prefix(list)?.strip_prefix('/')?)?;
                Some(match rest {
                    Some(rest) => format!("{list}/{}/{rest}", i + start),
                    None => format!("{list}/{}", i + start),
                })
            })
            .unwrap_or_else(|| tail.to_owned());
        Some(format!("/{key}/{}/{tail}", origin.index))
    }
}

/// `5/state` as `(5, Some("state"))`, `5` as `(5, None)`.
fn split_index(path: &str) -> Option<(usize, Option<&str>)> {
    let (index, tail) = path.split_once('/').map_or((path, None), |(i, t)| (i, Some(t)));
    Some((index.parse().ok()?, tail))
}

/// `body` as requests within the API's limits, in order. Every request carries the
/// file's other fields (properties, provider metadata). Linear: each entity is moved
/// once (a cut repository's own fields are copied per piece), only the small envelope
/// is copied per request.
pub fn split(api: Api, mut body: Value) -> Vec<Request> {
    let key = api.entities_key();
    let entities = match body.get_mut(key).map(Value::take) {
        Some(Value::Array(entities)) if !entities.is_empty() => entities,
        // Nothing to split: the body goes as it is, for the schema to judge.
        taken => {
            if let Some(taken) = taken {
                body[key] = taken;
            }
            return vec![Request {
                body,
                origins: Vec::new(),
            }];
        }
    };
    let request = |chunk: Vec<Value>, origins: Vec<Origin>| {
        let mut request = body.clone();
        request[key] = Value::Array(chunk);
        Request {
            body: request,
            origins,
        }
    };
    let mut requests = Vec::new();
    let (mut chunk, mut origins): (Vec<Value>, Vec<Origin>) = (Vec::new(), Vec::new());
    let mut chunk_weight = 0;
    let pieces = entities
        .into_iter()
        .enumerate()
        .flat_map(|(index, entity)| cut(api, index, entity));
    for (origin, entity) in pieces {
        let entity_weight = if api == Api::Devinfo { weight(&entity) } else { 0 };
        // A request lists a repository once: each piece of a cut one goes in its own.
        let same = origins.last().is_some_and(|last| last.index == origin.index);
        let full = same || chunk.len() == api.max_entities() || chunk_weight + entity_weight > MAX_ENTITIES;
        if full && !chunk.is_empty() {
            requests.push(request(std::mem::take(&mut chunk), std::mem::take(&mut origins)));
            chunk_weight = 0;
        }
        chunk_weight += entity_weight;
        chunk.push(entity);
        origins.push(origin);
    }
    requests.push(request(chunk, origins));
    requests
}

/// The commits, branches and pull requests of a devinfo repository.
fn weight(entity: &Value) -> usize {
    LISTS
        .iter()
        .filter_map(|k| entity.get(k)?.as_array().map(Vec::len))
        .sum()
}

/// The entity at `index` of the file, in pieces a request can hold: a devinfo
/// repository with more than [`MAX_PER_TYPE`] of a list, or more than
/// [`MAX_ENTITIES`] in all, is cut; anything else (or a repository whose lists are not
/// arrays, for the schema to judge) is one piece.
fn cut(api: Api, index: usize, entity: Value) -> Vec<(Origin, Value)> {
    let whole = Origin {
        index,
        starts: [0; 3],
    };
    let fits = |fields: &Map<String, Value>| {
        let lengths = LISTS.map(|k| match fields.get(k) {
            None => Some(0),
            Some(Value::Array(list)) => Some(list.len()),
            Some(_) => None,
        });
        // Not arrays: the schema says what is wrong.
        lengths.contains(&None)
            || (lengths.iter().all(|n| n.unwrap_or(0) <= MAX_PER_TYPE)
                && lengths.iter().map(|n| n.unwrap_or(0)).sum::<usize>() <= MAX_ENTITIES)
    };
    let mut fields = match entity {
        Value::Object(fields) if api == Api::Devinfo && !fits(&fields) => fields,
        entity => return vec![(whole, entity)],
    };
    let mut lists = LISTS.map(|k| match fields.shift_remove(k) {
        Some(Value::Array(list)) => list.into_iter(),
        _ => Vec::new().into_iter(),
    });
    let mut starts = [0; 3];
    let mut pieces = Vec::new();
    while lists.iter().any(|list| list.len() > 0) {
        let origin = Origin { index, starts };
        let mut piece = fields.clone();
        let mut room = MAX_ENTITIES;
        for ((name, list), start) in LISTS.iter().zip(&mut lists).zip(&mut starts) {
            let take = list.len().min(MAX_PER_TYPE).min(room);
            if take > 0 {
                piece.insert((*name).into(), Value::Array(list.take(take).collect()));
            }
            room -= take;
            *start += take;
        }
        pieces.push((origin, Value::Object(piece)));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn repo(commits: usize) -> Value {
        json!({"id": "r", "name": "r", "url": "https://x.example", "updateSequenceId": 1,
               "commits": (0..commits).map(|i| json!({"id": format!("{i}")})).collect::<Vec<_>>()})
    }

    fn sizes(requests: &[Request]) -> Vec<usize> {
        requests
            .iter()
            .map(|r| r.body["repositories"].as_array().unwrap().len())
            .collect()
    }

    #[test]
    fn devinfo_requests_stay_within_the_entity_limit() {
        let body = json!({"repositories": [repo(400), repo(400), repo(400), repo(10)]});
        assert_eq!(sizes(&split(Api::Devinfo, body)), [2, 2]);
    }

    #[test]
    fn a_repository_with_more_than_a_request_holds_is_cut_as_devinfo_cuts_it() {
        let mut big = repo(2500);
        big["branches"] = json!((0..3).map(|i| json!({"id": format!("b{i}")})).collect::<Vec<_>>());
        let body = json!({"properties": {"a": "1"}, "repositories": [repo(1), big]});
        let requests = split(Api::Devinfo, body);
        let mut commits = Vec::new();
        let mut branches = 0;
        for request in &requests {
            assert_eq!(request.body["properties"]["a"], "1");
            let mut indexes: Vec<usize> = request.origins.iter().map(|o| o.index).collect();
            indexes.dedup();
            assert_eq!(
                indexes.len(),
                request.origins.len(),
                "a repository once per request"
            );
            let repositories = request.body["repositories"].as_array().unwrap();
            assert!(weight(&request.body["repositories"][0]) <= MAX_ENTITIES);
            let total: usize = repositories.iter().map(weight).sum();
            assert!(total <= MAX_ENTITIES, "{total}");
            for (repository, origin) in repositories.iter().zip(&request.origins) {
                for list in LISTS {
                    let n = repository.get(list).and_then(Value::as_array).map_or(0, Vec::len);
                    assert!(n <= MAX_PER_TYPE, "{list}: {n}");
                }
                if origin.index == 1 {
                    assert_eq!(repository["id"], "r", "every piece is the repository");
                    assert_eq!(repository["url"], "https://x.example");
                    commits.extend(
                        repository["commits"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|c| c["id"].as_str().unwrap().parse::<usize>().unwrap()),
                    );
                    branches += repository
                        .get("branches")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len);
                }
            }
        }
        assert_eq!(
            commits,
            (0..2500).collect::<Vec<_>>(),
            "each commit once, in order"
        );
        assert_eq!(branches, 3);
        // 7 pieces of the big one (400 of each list, 1000 in all, in order), the first
        // with the small repository.
        assert_eq!(requests.len(), 7);
        assert_eq!(requests[0].origins.len(), 2);
    }

    #[test]
    fn pointers_into_a_piece_point_into_the_file() {
        let body = json!({"repositories": [repo(1), repo(900)]});
        let requests = split(Api::Devinfo, body);
        // The second piece of repository 1 holds its commits 400 to 799.
        let (request, index) = requests
            .iter()
            .find_map(|r| {
                let i = r
                    .origins
                    .iter()
                    .position(|o| o.index == 1 && o.starts[0] == 400)?;
                Some((r, i))
            })
            .unwrap();
        assert_eq!(
            Origin::in_file(
                &request.origins,
                &format!("/repositories/{index}/commits/3/id"),
                "repositories"
            )
            .as_deref(),
            Some("/repositories/1/commits/403/id")
        );
        assert_eq!(
            Origin::in_file(
                &request.origins,
                &format!("/repositories/{index}/url"),
                "repositories"
            )
            .as_deref(),
            Some("/repositories/1/url")
        );
    }

    #[test]
    fn pointers_move_by_the_entities_before_the_request() {
        let origins: Vec<Origin> = (100..105)
            .map(|index| Origin {
                index,
                starts: [0; 3],
            })
            .collect();
        let in_file = |pointer: &str| Origin::in_file(&origins, pointer, "builds");
        assert_eq!(in_file("/builds/4/state").as_deref(), Some("/builds/104/state"));
        assert_eq!(in_file("/builds/4").as_deref(), Some("/builds/104"));
        assert_eq!(in_file("/builds"), None);
        assert_eq!(in_file("/builds/5"), None, "no such entity");
        assert_eq!(in_file("/properties/a"), None);
        assert_eq!(in_file("/buildsx/1"), None);
    }

    #[test]
    fn bodies_without_entities_go_as_they_are() {
        for body in [json!({"builds": []}), json!({"builds": "oops"})] {
            let requests = split(Api::Builds, body.clone());
            assert_eq!(
                requests,
                [Request {
                    body,
                    origins: Vec::new()
                }]
            );
        }
    }

    #[test]
    fn lists_that_are_not_arrays_are_left_for_the_schema() {
        let mut odd = repo(500);
        odd["branches"] = json!("oops");
        let requests = split(Api::Devinfo, json!({"repositories": [odd.clone()]}));
        assert_eq!(requests[0].body["repositories"][0], odd);
    }
}
