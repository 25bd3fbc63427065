package httpapi

import "github.com/doord/doord/store"

// routes lists every route with the access it needs. The table is the
// API's map: read it to see who may do what.
func (s *Server) routes() {
	h := s.rt.handle
	h("GET", "/api/v1/health", accPublic, s.health)
	h("GET", "/api/v1/status", accRead, s.status)

	h("POST", "/api/v1/session", accPublic, s.login)
	h("GET", "/api/v1/session", accLogin, s.whoami)
	h("DELETE", "/api/v1/session", accLogin, s.logout)

	h("POST", "/api/v1/users", accPeople, s.createUser)
	h("GET", "/api/v1/users", accRead, s.listUsers)
	h("GET", "/api/v1/users/{id}", accRead, s.getUser)
	h("PATCH", "/api/v1/users/{id}", accPeople, s.updateUser(modePatch))
	h("PUT", "/api/v1/users/{id}", accPeople, s.updateUser(modeReplace))
	h("DELETE", "/api/v1/users/{id}", accPeople, s.deleteUser)
	h("POST", "/api/v1/users/{id}/time-profiles/{ref}", accPeople, s.attach("time_profiles", true))
	h("DELETE", "/api/v1/users/{id}/time-profiles/{ref}", accPeople, s.attach("time_profiles", false))
	h("POST", "/api/v1/users/{id}/apartments/{ref}", accPeople, s.attach("apartments", true))
	h("DELETE", "/api/v1/users/{id}/apartments/{ref}", accPeople, s.attach("apartments", false))

	h("POST", "/api/v1/users/{id}/credentials", accPeople, s.createCredential)
	h("POST", "/api/v1/readers/{reader}/learn", accPeople, s.learnCard) // learn.go
	h("GET", "/api/v1/users/{id}/credentials", accRead, s.listUserCredentials)
	h("POST", "/api/v1/credentials", accPeople, s.createFreeCredential)
	h("GET", "/api/v1/credentials", accRead, s.listCredentials)
	h("GET", "/api/v1/credentials/{id}", accRead, s.getCredential)
	h("PATCH", "/api/v1/credentials/{id}", accPeople, s.patchCredential)
	h("DELETE", "/api/v1/credentials/{id}", accPeople, s.deleteCredential)
	h("POST", "/api/v1/credentials/{id}/passes/reset", accPeople, s.resetPasses)

	// Time profiles and apartments are plain records: crud.go's shapes
	// over the store's calls, with each one's apply and view.
	tpView := itself[store.TimeProfile]
	h("POST", "/api/v1/time-profiles", accPeople, createRecord(applyTimeProfileRules, s.st.CreateTimeProfile, tpBasePath, tpID, tpView))
	h("GET", "/api/v1/time-profiles", accRead, listPage(s.st.ListTimeProfiles, tpView))
	h("GET", "/api/v1/time-profiles/{id}", accRead, getByID(s.st.GetTimeProfile, tpView))
	h("GET", "/api/v1/time-profiles/{id}/windows", accRead, s.timeProfileWindows)
	h("PATCH", "/api/v1/time-profiles/{id}", accPeople, updateByID(s.st.UpdateTimeProfile, applyTimeProfileRules, tpView, false))
	h("PUT", "/api/v1/time-profiles/{id}", accPeople, updateByID(s.st.UpdateTimeProfile, applyTimeProfileRules, tpView, true))
	h("DELETE", "/api/v1/time-profiles/{id}", accPeople, deleteByID(s.st.DeleteTimeProfile))

	h("POST", "/api/v1/apartments", accPeople, createRecord(applyApartment, s.st.CreateApartment, aptBasePath, aptID, newAptOut))
	h("GET", "/api/v1/apartments", accRead, listPage(s.st.ListApartments, s.aptOut))
	h("GET", "/api/v1/apartments/{id}", accRead, getByID(s.st.GetApartment, s.aptOut))
	h("PATCH", "/api/v1/apartments/{id}", accPeople, updateByID(s.st.UpdateApartment, applyApartment, s.aptOut, false))
	h("PUT", "/api/v1/apartments/{id}", accPeople, updateByID(s.st.UpdateApartment, applyApartment, s.aptOut, true))
	h("DELETE", "/api/v1/apartments/{id}", accPeople, deleteByID(s.st.DeleteApartment))

	h("POST", "/api/v1/operators", accAdmin, s.createOperator)
	h("GET", "/api/v1/operators", accAdmin, s.listOperators)
	h("GET", "/api/v1/operators/{id}", accAdmin, s.getOperator)
	h("PATCH", "/api/v1/operators/{id}", accAdmin, s.patchOperator)
	h("DELETE", "/api/v1/operators/{id}", accAdmin, s.deleteOperator)
	h("GET", "/api/v1/operators/me", accLogin, s.getOperator)
	h("POST", "/api/v1/operators/me/password", accLogin, s.changeOwnPassword)
	h("POST", "/api/v1/operators/{id}/totp", accRead, s.enrolTOTP)
	h("POST", "/api/v1/operators/{id}/totp/confirm", accRead, s.confirmTOTP)
	h("DELETE", "/api/v1/operators/{id}/totp", accRead, s.disableTOTP)

	h("GET", "/api/v1/backup", accAdmin, s.backup)
	h("GET", "/api/v1/openapi.json", accRead, s.openapi)
	s.importRoutes(h) // POST /api/v1/import, GET /api/v1/export

	s.eventRoutes(h)

	// The BAS-IP compatible API (package basip), under BAS-IP's own paths.
	s.basip.Routes(s.rt.handleBasip)

	if s.doors != nil {
		h("GET", "/api/v1/doors", accRead, s.listDoors)
		h("GET", "/api/v1/doors/{id}", accRead, s.getDoor)
		h("POST", "/api/v1/doors/{id}/open", accDoors, s.openDoor)
		h("PUT", "/api/v1/doors/{id}/mode", accDoors, s.setDoorMode)
		h("PATCH", "/api/v1/doors/{id}", accDoors, s.patchDoor)
	}
	if s.sim != nil {
		h("POST", "/api/v1/sim/readers/{reader}/card", accDoors, s.simCard)
		h("POST", "/api/v1/sim/readers/{reader}/keys", accDoors, s.simKeys)
		h("POST", "/api/v1/sim/readers/{reader}/edges", accDoors, s.simEdges)
		h("POST", "/api/v1/sim/inputs/{input}", accDoors, s.simInput)
		h("GET", "/api/v1/sim/outputs", accDoors, s.simOutputs)
	}
}
