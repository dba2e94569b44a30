//! The planet as a kernel `Model`: the actors, the network between them, and the recorder.
//!
//! Actor addresses are dense: populations first, then the router, then the servers. Message
//! delays come from the current `RttMatrix` plus each population's access latency. A reply
//! whose path back no longer exists is lost, and the client times out, as a real one would.

use crate::actors::client::Population;
use crate::actors::messages::{Msg, Outcome, RequestRef};
use crate::actors::router::Router;
use crate::actors::server::{Reply, Server};
use crate::kernel::{ActorId, Model, Scheduler};
use crate::metrics::Recorder;
use crate::world::RttMatrix;

pub struct Planet {
    pub populations: Vec<Population>,
    pub router: Router,
    pub servers: Vec<Server>,
    pub rtt: RttMatrix,
    pub recorder: Recorder,
}

/// Where each actor lives in the `ActorId` space.
#[derive(Clone, Copy, Debug)]
pub struct Addresses {
    pub populations: u32,
}

impl Addresses {
    pub fn population(self, index: u32) -> ActorId {
        ActorId(index)
    }
    pub fn router(self) -> ActorId {
        ActorId(self.populations)
    }
    pub fn server(self, index: u32) -> ActorId {
        ActorId(self.populations + 1 + index)
    }
    pub fn server_index(self, actor: ActorId) -> usize {
        (actor.0 - self.populations - 1) as usize
    }
}

impl Planet {
    fn addresses(&self) -> Addresses {
        Addresses { populations: self.populations.len() as u32 }
    }

    fn dispatch(&mut self, ctx: &mut Scheduler<Msg>, request: RequestRef) {
        let addresses = self.addresses();
        let population = &self.populations[request.population as usize];
        let origin = population.region;
        let chosen = self.router.choose(origin).and_then(|server| {
            let region = self.servers[server as usize].region;
            self.rtt.one_way(origin, region).map(|delay| (server, delay))
        });
        match chosen {
            Some((server, delay)) => ctx.send(delay, addresses.server(server), Msg::Request { request }),
            None => {
                let back = population.access_one_way();
                ctx.send(back, addresses.population(request.population), Msg::Response { request, outcome: Outcome::Unreachable });
            }
        }
    }

    fn reply(&self, ctx: &mut Scheduler<Msg>, server: usize, reply: Reply) {
        let population = &self.populations[reply.to.population as usize];
        let Some(backbone) = self.rtt.one_way(self.servers[server].region, population.region) else { return };
        let delay = backbone + population.access_one_way();
        ctx.send(delay, self.addresses().population(reply.to.population), Msg::Response { request: reply.to, outcome: reply.outcome });
    }
}

impl Model for Planet {
    type Msg = Msg;

    fn handle(&mut self, ctx: &mut Scheduler<Msg>, target: ActorId, msg: Msg) {
        let addresses = self.addresses();
        match msg {
            Msg::Arrive => self.populations[target.0 as usize].on_arrive(ctx, target, &mut self.recorder),
            Msg::Dispatch { request } => self.dispatch(ctx, request),
            Msg::Request { request } => {
                let server = addresses.server_index(target);
                if let Some(reply) = self.servers[server].on_request(ctx, target, request) {
                    self.reply(ctx, server, reply);
                }
            }
            Msg::ServiceDone { worker } => {
                let server = addresses.server_index(target);
                let reply = self.servers[server].on_done(ctx, target, worker);
                self.reply(ctx, server, reply);
            }
            Msg::Response { request, outcome } => {
                self.populations[target.0 as usize].on_response(ctx.now(), request, outcome, &mut self.recorder)
            }
            Msg::Timeout { request } => self.populations[target.0 as usize].on_timeout(ctx.now(), request, &mut self.recorder),
        }
    }
}
