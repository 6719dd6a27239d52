"""The OOS (2019-06-01) actions: executions of ACS-ECS-UpdateImage."""

import json

from ..common import ApiError, invalid_parameter, missing_parameter
from ..model import Execution, TEMPLATE_PARAMETERS, UPDATE_TEMPLATE


class OosActions:
    """The OOS (2019-06-01) executions of ACS-ECS-UpdateImage: a mixin of Api."""

    # -- OOS 2019-06-01 -------------------------------------------------------

    def StartExecution(self, req, account):
        region = self.region(req)
        template = req.get("TemplateName")
        if template is None:
            raise missing_parameter("TemplateName")
        if template != UPDATE_TEMPLATE:
            raise ApiError(404, "EntityNotExists.Template", "The Template (%s) does not exist." % template)
        params = self._json_param(req, "Parameters", dict)
        for key, value in params.items():
            if key not in TEMPLATE_PARAMETERS:
                raise ApiError(400, "InvalidParameter",
                               "The template parameter %s is not declared by %s." % (key, template))
            if not isinstance(value, TEMPLATE_PARAMETERS[key]) or isinstance(value, bool) != \
                    (TEMPLATE_PARAMETERS[key] is bool):
                raise ApiError(400, "InvalidParameter",
                               "The template parameter %s has the wrong type." % key)
        for key in ("sourceImageId", "instanceType"):
            if not params.get(key):
                raise ApiError(400, "MissingParameter", "The template parameter %s is required." % key)
        mode = self.choice(req, "Mode", ("Automatic", "Debug", "FailurePause"), "InvalidParameter", "Automatic")
        safety = self.choice(req, "SafetyCheck", ("Skip", "ConfirmEveryHighRiskAction"),
                             "InvalidParameter", "ConfirmEveryHighRiskAction")
        tags = self._json_param(req, "Tags", dict)

        def create():
            execution = Execution(self.world.new_id(self.world.runtime_rng, "exec", region), region,
                                  account, params, req.get("Parameters", "{}"), mode, safety, tags,
                                  req.get("Description", ""), req.get("ResourceGroupId", ""))
            self.world.executions[execution.id] = execution
            return {"Execution": execution.to_api(started=True)}

        return self.idempotent(req, account, create)

    @staticmethod
    def _json_param(req, name, kind):
        text = req.get(name, "{}")
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, kind):
            raise ApiError(400, "InvalidParameter", "The parameter %s is not a valid JSON object." % name)
        return value

    def ListExecutions(self, req, account):
        region = self.region(req)
        wanted = req.get("ExecutionId")
        status = req.get("Status")
        template = req.get("TemplateName")
        limit = req.integer("MaxResults", 50, 10, 100)
        token = req.get("NextToken", "0")
        if not token.isdigit():
            raise invalid_parameter("NextToken")
        found = sorted((e for e in self.world.executions.values()
                        if e.region == region and e.owner == account
                        and (wanted is None or e.id == wanted)
                        and (status is None or e.status == status)
                        and (template is None or template in e.template)),
                       key=lambda e: (-e.created, e.id))
        start = int(token)
        chunk = found[start:start + limit]
        out = {"Executions": [e.to_api() for e in chunk], "MaxResults": limit,
               "TotalCount": len(found)}
        if start + limit < len(found):
            out["NextToken"] = str(start + limit)
        return out

    def CancelExecution(self, req, account):
        region = self.region(req)
        execution = self.world.executions.get(req.require("ExecutionId"))
        if execution is None or execution.owner != account or execution.region != region:
            raise ApiError(404, "EntityNotExists.Execution", "The Execution does not exist.")
        execution.cancel()
        return {}
