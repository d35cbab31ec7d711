package sim

import (
	"encoding/json"
	"fmt"
	"github.com/glomers/glomers/internal/wire"

	"github.com/glomers/glomers/sim/services"
)

// serviceEnd puts one of Maelstrom's services on the network. It handles
// every message delivered to it on the loop, as it arrives, and replies to
// those with a msg_id; the reply takes the latency again. (Maelstrom also
// replies, with a null in_reply_to, to requests without one; no node waits
// for such a reply, so the simulator sends none.)
type serviceEnd struct {
	r    *run
	self *endpoint
	svc  services.Service
}

func (s *serviceEnd) receive(m *message) {
	msg, hdr, err := wire.ParseLine(m.line)
	switch {
	case err != nil:
		s.r.bad(fmt.Sprintf("%s sent %s a message that does not decode: %v", m.from.id, s.self.id, err))
		return
	}
	reply, err := json.Marshal(s.svc.Handle(m.from.id, msg.Body))
	if hdr.MsgID == 0 {
		return
	}
	if err != nil || len(reply) < 2 || reply[0] != '{' {
		s.r.bad(fmt.Sprintf("%s: reply to %s does not encode as an object: %v", s.self.id, m.from.id, err))
		return
	}
	s.r.send(s.self, m.from.id, envelope(s.self.id, m.from.id, reply, "in_reply_to", hdr.MsgID))
}
