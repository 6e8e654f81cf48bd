//! Zone content: parsing of the zone-file-like record text, and authoritative lookups.

use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::rdata::{A, AAAA, CNAME, NS, SOA, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecoder, Restrict};

/// The records of one zone, as served by one host.
#[derive(Clone, Debug)]
pub(crate) struct ZoneData {
    /// The zone apex.
    pub apex: Name,
    /// Every record of the zone, including delegation NS and glue records.
    pub records: Vec<Record>,
}

/// The outcome of an authoritative lookup in one zone.
#[derive(Debug, PartialEq)]
pub(crate) enum Lookup {
    /// Records for the answer section (AA=1).
    Answer(Vec<Record>),
    /// The name is at or below a delegation point: NS records and glue (AA=0).
    Referral { ns: Vec<Record>, glue: Vec<Record> },
    /// The name exists (or has descendants) but has no record of the type (AA=1).
    NoData(Option<Record>),
    /// The name does not exist (AA=1).
    NxDomain(Option<Record>),
}

impl ZoneData {
    /// Answers `qname`/`qtype` like an authoritative server would (CNAMEs are not chased; a
    /// wildcard answers for a name that does not exist, see [`ZoneData::wildcard_for`]).
    pub fn lookup(&self, qname: &Name, qtype: RecordType) -> Lookup {
        let apex_labels = usize::from(self.apex.num_labels());
        for labels in apex_labels + 1..=usize::from(qname.num_labels()) {
            let cut = qname.trim_to(labels);
            if qtype == RecordType::DS && cut == *qname {
                break;
            }
            let ns = self.rrset(&cut, RecordType::NS);
            if !ns.is_empty() {
                let glue = ns
                    .iter()
                    .filter_map(target)
                    .flat_map(|host| self.rrset(&host, RecordType::A))
                    .collect();
                return Lookup::Referral { ns, glue };
            }
        }

        if self.exists(qname) {
            return self.answer_from(qname, qname, qtype);
        }
        match self.wildcard_for(qname) {
            Some(wildcard) => self.answer_from(&wildcard, qname, qtype),
            None => Lookup::NxDomain(self.negative_soa()),
        }
    }

    /// The answer from the records at `owner` (an existing name), given with owner `qname`:
    /// the records of `qtype`, else a CNAME, else NODATA.
    fn answer_from(&self, owner: &Name, qname: &Name, qtype: RecordType) -> Lookup {
        let at_owner = || self.records.iter().filter(|r| r.name == *owner);
        let as_qname = |r: &Record| {
            let mut r = r.clone();
            r.name = qname.clone();
            r
        };
        let matching: Vec<Record> = at_owner()
            .filter(|r| qtype == RecordType::ANY || r.record_type() == qtype)
            .map(as_qname)
            .collect();
        if !matching.is_empty() {
            return Lookup::Answer(matching);
        }
        let cnames: Vec<Record> = at_owner()
            .filter(|r| r.record_type() == RecordType::CNAME)
            .map(as_qname)
            .collect();
        if !cnames.is_empty() {
            return Lookup::Answer(cnames);
        }
        Lookup::NoData(self.negative_soa())
    }

    /// Whether `name` exists in the zone: it owns records or has descendants that do (an empty
    /// non-terminal exists).
    fn exists(&self, name: &Name) -> bool {
        self.records.iter().any(|r| name.zone_of(&r.name))
    }

    /// The wildcard `*.E` that answers for `qname`, a name that does not exist (RFC 4592,
    /// simplified): `E` is the closest encloser, the longest existing ancestor of `qname` in the
    /// zone (the apex at worst), and `*.E` must own records.
    fn wildcard_for(&self, qname: &Name) -> Option<Name> {
        let apex_labels = self.apex.num_labels();
        let encloser = (apex_labels..qname.num_labels())
            .rev()
            .map(|labels| qname.trim_to(usize::from(labels)))
            .find(|ancestor| *ancestor == self.apex || self.exists(ancestor))?;
        let wildcard = Name::from_ascii("*").ok()?.append_domain(&encloser).ok()?;
        self.records
            .iter()
            .any(|r| r.name == wildcard)
            .then_some(wildcard)
    }

    /// The SOA record as put in the authority section of negative answers:
    /// its TTL is min(SOA TTL, SOA minimum).
    pub fn negative_soa(&self) -> Option<Record> {
        let mut soa = self.rrset(&self.apex, RecordType::SOA).into_iter().next()?;
        if let RData::SOA(data) = &soa.data {
            soa.ttl = soa.ttl.min(data.minimum);
        }
        Some(soa)
    }

    /// Adds a record, replacing the SOA if it is one, and bumps the SOA serial otherwise.
    pub fn add(&mut self, record: Record) {
        if record.record_type() == RecordType::SOA {
            self.records
                .retain(|r| !(r.name == record.name && r.record_type() == RecordType::SOA));
            self.records.insert(0, record);
            return;
        }
        if !self.records.contains(&record) {
            self.records.push(record);
            self.bump_serial();
        }
    }

    /// Removes every record owned by `owner`, bumping the SOA serial if anything was removed.
    pub fn remove(&mut self, owner: &Name) {
        let before = self.records.len();
        self.records.retain(|r| r.name != *owner);
        if self.records.len() != before {
            self.bump_serial();
        }
    }

    fn rrset(&self, owner: &Name, rtype: RecordType) -> Vec<Record> {
        self.records
            .iter()
            .filter(|r| r.name == *owner && r.record_type() == rtype)
            .cloned()
            .collect()
    }

    fn bump_serial(&mut self) {
        let apex = self.apex.clone();
        for record in &mut self.records {
            if let (true, RData::SOA(soa)) = (record.name == apex, &mut record.data) {
                soa.serial = soa.serial.wrapping_add(1);
            }
        }
    }
}

/// The target name of an NS or CNAME record.
pub(crate) fn target(record: &Record) -> Option<Name> {
    match &record.data {
        RData::NS(NS(name)) | RData::CNAME(CNAME(name)) => Some(name.clone()),
        _ => None,
    }
}

/// The automatic SOA record of a zone.
pub(crate) fn auto_soa(apex: &Name, primary: Option<&Name>, ttl: u32, minimum: u32) -> Record {
    let mname = primary
        .cloned()
        .unwrap_or_else(|| resolve(apex, "ns.invalid."));
    let rname = resolve(apex, "hostmaster");
    let soa = SOA::new(mname, rname, 1, 7200, 900, 1_209_600, minimum);
    Record::from_rdata(apex.clone(), ttl, RData::SOA(soa))
}

/// Parses zone text (one record per line) relative to `apex`; panics on malformed text.
pub(crate) fn parse_records(apex: &Name, text: &str) -> Vec<Record> {
    text.lines()
        .filter_map(|line| parse_line(apex, line))
        .collect()
}

/// Parses one record line relative to `apex`; `None` for blank and comment lines.
///
/// Panics on malformed text, or on an owner outside the zone.
pub(crate) fn parse_line(apex: &Name, line: &str) -> Option<Record> {
    let line = line.trim();
    if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
        return None;
    }
    match parse_record(apex, line) {
        Ok(record) => Some(record),
        Err(why) => panic!("bad record line {line:?} in zone {apex}: {why}"),
    }
}

fn parse_record(apex: &Name, line: &str) -> Result<Record, &'static str> {
    let (owner, rest) = next_token(line);
    let (ttl, rest) = next_token(rest);
    let (mut rtype, mut rest) = next_token(rest);
    if rtype.eq_ignore_ascii_case("IN") {
        (rtype, rest) = next_token(rest);
    }
    let rdata = rest.trim();
    if rtype.is_empty() {
        return Err("expected `<owner> <ttl> <TYPE> <rdata>`");
    }
    let owner = resolve(apex, owner);
    if !apex.zone_of(&owner) {
        return Err("owner is outside the zone");
    }
    let ttl: u32 = ttl.parse().map_err(|_| "TTL is not a number")?;
    let rdata = match rtype.to_ascii_uppercase().as_str() {
        "A" => RData::A(A(rdata
            .parse::<Ipv4Addr>()
            .map_err(|_| "bad IPv4 address")?)),
        "AAAA" => RData::AAAA(AAAA(
            rdata.parse::<Ipv6Addr>().map_err(|_| "bad IPv6 address")?,
        )),
        "NS" => RData::NS(NS(resolve(apex, single(rdata)?))),
        "CNAME" => RData::CNAME(CNAME(resolve(apex, single(rdata)?))),
        "TXT" => {
            let strings = parse_txt(rdata)?;
            RData::TXT(TXT::from_bytes(strings.iter().map(Vec::as_slice).collect()))
        }
        "SOA" => parse_soa(apex, rdata)?,
        "CAA" => parse_caa(rdata)?,
        _ => return Err("unsupported record type"),
    };
    Ok(Record::from_rdata(owner, ttl, rdata))
}

/// Resolves a name as written in zone text: `@`, absolute, or relative to `apex`.
pub(crate) fn resolve(apex: &Name, text: &str) -> Name {
    let parsed = |t: &str| {
        Name::from_ascii(t).unwrap_or_else(|e| panic!("invalid DNS name {t:?} in zone {apex}: {e}"))
    };
    if text == "@" {
        apex.clone()
    } else if text.ends_with('.') {
        parsed(text)
    } else {
        parsed(text)
            .append_domain(apex)
            .unwrap_or_else(|e| panic!("name {text:?} is too long in zone {apex}: {e}"))
    }
}

fn next_token(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

fn single(text: &str) -> Result<&str, &'static str> {
    let (token, rest) = next_token(text);
    if token.is_empty() || !rest.trim().is_empty() {
        return Err("expected exactly one name");
    }
    Ok(token)
}

/// TXT rdata: one or more double-quoted strings, or the bare rest of the line. Strings longer than
/// 255 bytes are split into 255-byte character-strings.
fn parse_txt(text: &str) -> Result<Vec<Vec<u8>>, &'static str> {
    let strings = if text.starts_with('"') {
        let mut strings = Vec::new();
        let mut chars = text.chars();
        loop {
            match chars.by_ref().find(|c| !c.is_whitespace()) {
                None => break,
                Some('"') => strings.push(quoted(&mut chars)?),
                Some(_) => return Err("text after a quoted TXT string"),
            }
        }
        strings
    } else {
        vec![text.to_owned()]
    };
    let mut out = Vec::new();
    for s in strings {
        if s.is_empty() {
            out.push(Vec::new());
        }
        out.extend(s.as_bytes().chunks(255).map(<[u8]>::to_vec));
    }
    Ok(out)
}

/// Reads the rest of a quoted string (after the opening quote), handling `\"` and `\\`.
fn quoted(chars: &mut std::str::Chars<'_>) -> Result<String, &'static str> {
    let mut s = String::new();
    loop {
        match chars.next() {
            None => return Err("unterminated quoted string"),
            Some('"') => return Ok(s),
            Some('\\') => s.push(chars.next().ok_or("unterminated escape")?),
            Some(c) => s.push(c),
        }
    }
}

fn parse_soa(apex: &Name, text: &str) -> Result<RData, &'static str> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [mname, rname, serial, refresh, retry, expire, minimum] = fields[..] else {
        return Err("SOA needs `mname rname serial refresh retry expire minimum`");
    };
    let number = |s: &str| s.parse::<u32>().map_err(|_| "SOA numbers must be u32");
    let signed = |s: &str| s.parse::<i32>().map_err(|_| "SOA timers must be i32");
    Ok(RData::SOA(SOA::new(
        resolve(apex, mname),
        resolve(apex, rname),
        number(serial)?,
        signed(refresh)?,
        signed(retry)?,
        signed(expire)?,
        number(minimum)?,
    )))
}

/// CAA rdata `<flags> <tag> <value>`, value optionally quoted; built through the wire format so
/// that any tag is accepted.
fn parse_caa(text: &str) -> Result<RData, &'static str> {
    let (flags, rest) = next_token(text);
    let (tag, rest) = next_token(rest);
    let flags: u8 = flags.parse().map_err(|_| "CAA flags must be 0-255")?;
    let value = rest.trim();
    let value = match value.strip_prefix('"') {
        Some(inner) => quoted(&mut inner.chars())?,
        None => value.to_owned(),
    };
    let tag_len = u8::try_from(tag.len()).map_err(|_| "CAA tag too long")?;
    if tag_len == 0 {
        return Err("CAA needs `<flags> <tag> <value>`");
    }
    let mut wire = vec![flags, tag_len];
    wire.extend_from_slice(tag.as_bytes());
    wire.extend_from_slice(value.as_bytes());
    let len = u16::try_from(wire.len()).map_err(|_| "CAA value too long")?;
    RData::read(
        &mut BinDecoder::new(&wire),
        RecordType::CAA,
        Restrict::new(len),
    )
    .map_err(|_| "CAA value does not parse")
}
