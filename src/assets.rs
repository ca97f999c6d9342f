//! A Meta user's business managers and ad accounts, every page of every edge.

use futures::{StreamExt, TryStreamExt, stream};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::graph::{AdAccount, Business, GraphClient, GraphError, account_status_word};

/// Fields asked of every ad account edge.
const AD_ACCOUNT_FIELDS: &str = "id,account_id,name,account_status,currency,timezone_name";
/// Edge fetches in flight at once: all of a typical agency's business managers
/// in one wave, still a bounded burst for Meta.
pub const DEFAULT_CONCURRENCY: usize = 48;

/// How an ad account reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Owned,
    Client,
    Personal,
}

/// An ad account with its status as a word, in the contract's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdAccountView {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub account_status: i64,
    pub status: String,
    pub currency: Option<String>,
    pub timezone_name: Option<String>,
    pub relation: Relation,
}

impl AdAccountView {
    fn new(account: AdAccount, relation: Relation) -> Self {
        let account_id = account
            .account_id
            .unwrap_or_else(|| account.id.trim_start_matches("act_").to_owned());
        Self {
            status: account_status_word(account.account_status).to_owned(),
            id: account.id,
            account_id,
            name: account.name,
            account_status: account.account_status,
            currency: account.currency,
            timezone_name: account.timezone_name,
            relation,
        }
    }

    /// Whether the CRM can sync it (neither disabled nor closed).
    pub fn is_usable(&self) -> bool {
        !matches!(self.account_status, 2 | 100 | 101 | 202)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusinessManager {
    pub id: String,
    pub name: String,
    pub ad_accounts: Vec<AdAccountView>,
}

/// Everything the user can reach.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Assets {
    pub business_managers: Vec<BusinessManager>,
    pub personal_ad_accounts: Vec<AdAccountView>,
}

impl Assets {
    pub fn ad_account_count(&self) -> usize {
        self.business_managers
            .iter()
            .map(|b| b.ad_accounts.len())
            .sum::<usize>()
            + self.personal_ad_accounts.len()
    }
}

enum Edge {
    Owned(usize),
    Client(usize),
    Personal,
}

/// Fetches business managers (optionally only one), their owned and client ad
/// accounts, and the user's personal ad accounts. Edges are fetched
/// concurrently, at most `concurrency` at once; each follows every page.
pub async fn fetch(
    graph: &GraphClient,
    token: &SecretString,
    only_business: Option<&str>,
    concurrency: usize,
) -> Result<Assets, GraphError> {
    let mut businesses: Vec<Business> = graph.get_all("me/businesses", "id,name", token).await?;
    if let Some(only) = only_business {
        businesses.retain(|b| b.id == only);
    }
    let edges = (0..businesses.len())
        .flat_map(|i| [Edge::Owned(i), Edge::Client(i)])
        .chain(only_business.is_none().then_some(Edge::Personal));
    let results: Vec<(Edge, Vec<AdAccount>)> = stream::iter(edges)
        .map(|edge| {
            let path = match &edge {
                Edge::Owned(i) => format!("{}/owned_ad_accounts", businesses[*i].id),
                Edge::Client(i) => format!("{}/client_ad_accounts", businesses[*i].id),
                Edge::Personal => "me/adaccounts".to_owned(),
            };
            async move {
                let accounts = graph.get_all(&path, AD_ACCOUNT_FIELDS, token).await?;
                Ok::<_, GraphError>((edge, accounts))
            }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;

    let mut assets = Assets {
        business_managers: businesses
            .into_iter()
            .map(|b| BusinessManager {
                id: b.id,
                name: b.name,
                ad_accounts: Vec::new(),
            })
            .collect(),
        personal_ad_accounts: Vec::new(),
    };
    for (edge, accounts) in results {
        let (list, relation) = match edge {
            Edge::Owned(i) => (
                &mut assets.business_managers[i].ad_accounts,
                Relation::Owned,
            ),
            Edge::Client(i) => (
                &mut assets.business_managers[i].ad_accounts,
                Relation::Client,
            ),
            Edge::Personal => (&mut assets.personal_ad_accounts, Relation::Personal),
        };
        list.extend(
            accounts
                .into_iter()
                .map(|a| AdAccountView::new(a, relation)),
        );
    }
    Ok(assets)
}

/// An ad account the token reaches, with the business manager (id, name) it
/// came through; `None` for a personal account.
pub struct Reachable<'a> {
    pub business: Option<(&'a str, &'a str)>,
    pub account: &'a AdAccountView,
}

/// Every reachable account: business managers' first, then personal ones.
pub fn reachable(assets: &Assets) -> Vec<Reachable<'_>> {
    let owned = assets.business_managers.iter().flat_map(|b| {
        b.ad_accounts.iter().map(move |a| Reachable {
            business: Some((b.id.as_str(), b.name.as_str())),
            account: a,
        })
    });
    let personal = assets.personal_ad_accounts.iter().map(|a| Reachable {
        business: None,
        account: a,
    });
    owned.chain(personal).collect()
}

/// What `--business`/`--ad-account` and the accounts there are decide.
pub enum Resolved<'a> {
    Picked(&'a Reachable<'a>),
    /// No account to choose.
    None,
    /// Several, and nothing said which: a person must pick.
    Several,
}

/// An ad account the token does not reach (under that business manager).
#[derive(Debug, thiserror::Error)]
#[error(
    "ad account {account}{under} is not among those this tenant's token reaches; see `crm-meta list-accounts --tenant N`"
)]
pub struct Unreachable {
    account: String,
    under: String,
}

/// Resolves the flags against the reachable accounts: the account asked for
/// (refused when the token does not reach it), else the only one there is.
pub fn resolve_choice<'a>(
    options: &'a [Reachable<'a>],
    business: Option<&str>,
    ad_account: Option<&str>,
) -> Result<Resolved<'a>, Unreachable> {
    if let Some(wanted) = ad_account {
        let wanted = if wanted.starts_with("act_") {
            wanted.to_owned()
        } else {
            format!("act_{wanted}")
        };
        return options
            .iter()
            .filter(|o| o.account.id == wanted)
            .find(|o| business.is_none_or(|b| o.business.map(|(id, _)| id) == Some(b)))
            .map(Resolved::Picked)
            .ok_or_else(|| Unreachable {
                under: business
                    .map(|b| format!(" under business manager {b}"))
                    .unwrap_or_default(),
                account: wanted,
            });
    }
    Ok(match options {
        [] => Resolved::None,
        [only] => Resolved::Picked(only),
        _ => Resolved::Several,
    })
}
